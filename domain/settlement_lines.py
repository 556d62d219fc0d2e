"""What every line of a period's documents says (DOMAIN.md §8), and how lines
become documents with their issuer, recipient and branding.

Both computations of a period — the pure rules (`domain/settlement.py`) and the
polars jobs (`settlement/jobs.py`) — compute the *amounts* their own way and then
call these constructors with the same keyword arguments, so their documents can
be compared whole, line by line and cent by cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache, partial
from zoneinfo import ZoneInfo

from domain.documents import DocumentLine, LineSection

__all__ = [
    "kickback_line",
    "kwh",
    "rate_from_basis_points",
    "reimbursed_energy_line",
    "reimbursement_line",
    "roaming_compensation_line",
    "roaming_fees_line",
    "roaming_session_line",
    "subscription_line",
]

ZERO = Decimal("0")


def kwh(energy_wh: int) -> Decimal:
    """Integer Wh as kWh with three decimals (18250 → 18.250), exactly."""
    return Decimal(energy_wh).scaleb(-3)


@lru_cache(maxsize=256)
def rate_from_basis_points(basis_points: int) -> Decimal:
    """2100 → Decimal('21'): how the polars jobs carry a VAT or kickback rate."""
    return Decimal(basis_points) / Decimal(100)


def _late_suffix(late: bool, occurred_on: date | None) -> str:
    return f" (late item of {occurred_on.isoformat()})" if late and occurred_on else ""


def subscription_line(
    *,
    ocpp_id: str,
    plan_name: str,
    monthly_fee_cents: int,
    first_day: date,
    last_day: date,
    days: int,
    days_in_month: int,
    amount_cents: int,
    vat_rate: Decimal,
) -> DocumentLine:
    """One charging point's subscription, pro rata by billable days (DOMAIN.md §6)."""
    fee = f"{monthly_fee_cents // 100}.{monthly_fee_cents % 100:02d}"
    span = f"{first_day.isoformat()} – {last_day.isoformat()}"
    share = "" if days == days_in_month else f" × {days}/{days_in_month}"
    return DocumentLine(
        section=LineSection.SUBSCRIPTIONS,
        description=f"Subscription {plan_name} for {ocpp_id}, {span}: {fee}/month{share}",
        amount_cents=amount_cents,
        vat_rate=vat_rate,
        quantity=Decimal(days),
        unit="days",
        reference=ocpp_id,
    )


# What the lines measured in kWh say, by section: (description, reference of a
# group of sessions; None for one line per session).
KWH_LINE_TEXT = {
    LineSection.REIMBURSED_ENERGY: (
        "Reimbursed charging for {employee_name} at {ocpp_id}",
        "organization:{employee_id}:{ocpp_id}",
    ),
    LineSection.ROAMING_SESSIONS: ("{ocpp_id}, token {id_tag}, {start} – {end}", None),
    LineSection.REIMBURSEMENT: ("Reimbursed home charging at {ocpp_id} on {occurred_on}", None),
    LineSection.ROAMING_COMPENSATION: ("Roaming compensation for {ocpp_id} on {occurred_on}", None),
    LineSection.ROAMING_FEES: ("Roaming fees, {customer_name}", "customer:{customer_id}"),
}


def _kwh_line(
    section: LineSection,
    *,
    energy_wh: int,
    amount_cents: int,
    late: bool,
    occurred_on: date | None,
    workflow_id: str | None,
    vat_rate: Decimal = ZERO,
    sessions: int = 1,
    **names: object,
) -> DocumentLine:
    """A line whose quantity is energy in kWh; `names` fill its section's texts.
    A per-session line is dated and referenced by its workflow id; a group's line
    sums its sessions under the group's reference, undated, except that a late
    session keeps a line, date and workflow id of its own."""
    text, group = KWH_LINE_TEXT[section]
    description = text.format(occurred_on=occurred_on, **names)
    if group is not None:
        description += ", 1 session" if sessions == 1 else f", {sessions} sessions"
    grouped = group is not None and not late
    return DocumentLine(
        section=section,
        description=description + _late_suffix(late, occurred_on),
        amount_cents=amount_cents,
        vat_rate=vat_rate,
        quantity=kwh(energy_wh),
        unit="kWh",
        reference=group.format(**names) if grouped else workflow_id,
        occurred_on=None if grouped else occurred_on,
        late=late,
    )


# Energy the main organization reimburses to an employee, per employee and
# charging point (employee_id, employee_name, ocpp_id, sessions). VAT 0 %: passed
# through to a private person (DOMAIN.md §8).
reimbursed_energy_line = partial(_kwh_line, LineSection.REIMBURSED_ENERGY, vat_rate=ZERO)
# A partner's roaming fees on one customer's sessions (customer_id,
# customer_name, sessions, vat_rate).
roaming_fees_line = partial(_kwh_line, LineSection.ROAMING_FEES)
# A home-charging session paid to the employee (ocpp_id), without VAT.
reimbursement_line = partial(_kwh_line, LineSection.REIMBURSEMENT, vat_rate=ZERO)
# The owner's compensation for the electricity of one roaming session (ocpp_id, vat_rate).
roaming_compensation_line = partial(_kwh_line, LineSection.ROAMING_COMPENSATION)


def roaming_session_line(
    *,
    workflow_id: str,
    ocpp_id: str,
    id_tag: str,
    started_at: datetime,
    stopped_at: datetime,
    energy_wh: int,
    amount_cents: int,
    vat_rate: Decimal,
    occurred_on: date,
    late: bool,
    time_zone: str,
) -> DocumentLine:
    """One charge detail record of an eMSP's cardholder at the consumer tariff."""
    zone = ZoneInfo(time_zone)
    # "2026-10-15 12:00": isoformat is much faster than strftime, per CDR line.
    return _kwh_line(
        LineSection.ROAMING_SESSIONS,
        energy_wh=energy_wh,
        amount_cents=amount_cents,
        late=late,
        occurred_on=occurred_on,
        workflow_id=workflow_id,
        vat_rate=vat_rate,
        ocpp_id=ocpp_id,
        id_tag=id_tag,
        start=started_at.astimezone(zone).isoformat(" ", "minutes")[:16],
        end=stopped_at.astimezone(zone).isoformat(" ", "minutes")[:16],
    )


def kickback_line(
    *,
    customer_id: int,
    customer_name: str,
    percent: Decimal,
    base_cents: int,
    amount_cents: int,
    vat_rate: Decimal,
) -> DocumentLine:
    """The partner's kickback on one customer's subscriptions: percent × that
    customer's subscription net of the period, rounded once (DOMAIN.md §6)."""
    return DocumentLine(
        section=LineSection.SUBSCRIPTION_KICKBACK,
        description=f"Subscription kickback, {customer_name}",
        amount_cents=amount_cents,
        vat_rate=vat_rate,
        quantity=percent,
        unit="%",
        unit_price=Decimal(base_cents) / 100,
        reference=f"customer:{customer_id}",
    )


SECTION_ORDER = {section: n for n, section in enumerate(LineSection)}


def line_sort_key(line: DocumentLine) -> tuple:
    """Lines of a document in a fixed order: section, regular before late items,
    date, reference."""
    return (
        SECTION_ORDER[line.section],
        line.late,
        line.occurred_on or date.min,
        line.reference or "",
        line.description,
    )


def group_lines(
    items: Iterable[tuple[tuple[str, str, int], DocumentLine]],
) -> dict[tuple[str, str, int], tuple[DocumentLine, ...]]:
    """(kind, recipient kind, recipient id) → its lines, sorted."""
    grouped: dict[tuple[str, str, int], list[DocumentLine]] = defaultdict(list)
    for key, line in items:
        grouped[key].append(line)
    return {key: tuple(sorted(lines, key=line_sort_key)) for key, lines in grouped.items()}
