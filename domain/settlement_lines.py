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
from functools import lru_cache
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


def reimbursed_energy_line(
    *,
    employee_id: int,
    employee_name: str,
    ocpp_id: str,
    energy_wh: int,
    sessions: int,
    amount_cents: int,
    late: bool,
    occurred_on: date | None,
    workflow_id: str | None,
) -> DocumentLine:
    """Energy the main organization reimburses to an employee, per employee and
    charging point (a late session keeps its own line and date). VAT 0 %: passed
    through to a private person (DOMAIN.md §8)."""
    count = "1 session" if sessions == 1 else f"{sessions} sessions"
    return DocumentLine(
        section=LineSection.REIMBURSED_ENERGY,
        description=f"Reimbursed charging for {employee_name} at {ocpp_id}, {count}"
        + _late_suffix(late, occurred_on),
        amount_cents=amount_cents,
        vat_rate=ZERO,
        quantity=kwh(energy_wh),
        unit="kWh",
        reference=workflow_id if late else f"organization:{employee_id}:{ocpp_id}",
        occurred_on=occurred_on if late else None,
        late=late,
    )


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
    start = started_at.astimezone(zone).isoformat(" ", "minutes")[:16]
    end = stopped_at.astimezone(zone).isoformat(" ", "minutes")[:16]
    return DocumentLine(
        section=LineSection.ROAMING_SESSIONS,
        description=f"{ocpp_id}, token {id_tag}, {start} – {end}"
        + _late_suffix(late, occurred_on),
        amount_cents=amount_cents,
        vat_rate=vat_rate,
        quantity=kwh(energy_wh),
        unit="kWh",
        reference=workflow_id,
        occurred_on=occurred_on,
        late=late,
    )


def reimbursement_line(
    *,
    workflow_id: str,
    ocpp_id: str,
    energy_wh: int,
    amount_cents: int,
    occurred_on: date,
    late: bool,
) -> DocumentLine:
    """A home-charging session paid to the employee, without VAT."""
    return DocumentLine(
        section=LineSection.REIMBURSEMENT,
        description=f"Reimbursed home charging at {ocpp_id} on {occurred_on.isoformat()}"
        + _late_suffix(late, occurred_on),
        amount_cents=amount_cents,
        vat_rate=ZERO,
        quantity=kwh(energy_wh),
        unit="kWh",
        reference=workflow_id,
        occurred_on=occurred_on,
        late=late,
    )


def roaming_compensation_line(
    *,
    workflow_id: str,
    ocpp_id: str,
    energy_wh: int,
    amount_cents: int,
    vat_rate: Decimal,
    occurred_on: date,
    late: bool,
) -> DocumentLine:
    """The owner's compensation for the electricity of one roaming session."""
    return DocumentLine(
        section=LineSection.ROAMING_COMPENSATION,
        description=f"Roaming compensation for {ocpp_id} on {occurred_on.isoformat()}"
        + _late_suffix(late, occurred_on),
        amount_cents=amount_cents,
        vat_rate=vat_rate,
        quantity=kwh(energy_wh),
        unit="kWh",
        reference=workflow_id,
        occurred_on=occurred_on,
        late=late,
    )


def roaming_fees_line(
    *,
    customer_id: int,
    customer_name: str,
    energy_wh: int,
    sessions: int,
    amount_cents: int,
    vat_rate: Decimal,
    late: bool,
    occurred_on: date | None,
    workflow_id: str | None,
) -> DocumentLine:
    """A partner's roaming fees on one customer's sessions (a late session keeps
    its own line and date)."""
    count = "1 session" if sessions == 1 else f"{sessions} sessions"
    return DocumentLine(
        section=LineSection.ROAMING_FEES,
        description=f"Roaming fees, {customer_name}, {count}" + _late_suffix(late, occurred_on),
        amount_cents=amount_cents,
        vat_rate=vat_rate,
        quantity=kwh(energy_wh),
        unit="kWh",
        reference=workflow_id if late else f"customer:{customer_id}",
        occurred_on=occurred_on if late else None,
        late=late,
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
