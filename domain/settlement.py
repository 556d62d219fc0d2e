"""All documents of one settlement period, computed by the pure rules
(DOMAIN.md §5–8). `settlement/jobs.py` is the fast, vectorized twin of
`build_period_documents`; a test proves both give the same documents.

Per period (a calendar month in the platform's zone; a session belongs to the
month of its end):

* **invoice** per paying main organization: a subscription line per charging
  point billable in the month (its own and its suborganizations' home chargers),
  pro rata by billable days; reimbursed energy per employee and charging point
  at VAT 0 %;
* **roaming invoice** per eMSP: one line per session (the CDR list) at the
  consumer tariff, VAT at the platform's rate;
* **payout statement** per payee organization: reimbursements per session (VAT
  0 %) and roaming compensation per session (with VAT when the payee is
  VAT-registered: self-billing);
* **profit-share statement** per partner: roaming fees per customer and the
  subscription kickback per customer (`kickback % × that customer's subscription
  net`, rounded once per customer: 20 % × 30.39 = 6.08).

A late session (ended before the period, settled into none) is a late item of
this period: its own line, marked late, with its original date.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from domain.documents import Document, DocumentKind, DocumentLine, PartyKind
from domain.enums import Category
from domain.money import round_half_up
from domain.periods import local_date, parse_period
from domain.settlement_corrections import correction_documents
from domain.settlement_facts import PeriodFacts, SessionFacts
from domain.settlement_lines import (
    ZERO,
    group_lines,
    kickback_line,
    reimbursed_energy_line,
    reimbursement_line,
    roaming_compensation_line,
    roaming_fees_line,
    roaming_session_line,
    subscription_line,
)
from domain.settlement_parties import DocKey, PartyDirectory, assemble_documents
from domain.subscriptions import billable_range, pro_rata_cents

__all__ = ["build_period_documents", "correction_documents", "parties_of"]

INVOICE, ROAMING = DocumentKind.INVOICE.value, DocumentKind.ROAMING_INVOICE.value
PAYOUT, PROFIT = DocumentKind.PAYOUT_STATEMENT.value, DocumentKind.PROFIT_SHARE_STATEMENT.value
ORG, EMSP, PARTNER = PartyKind.ORGANIZATION.value, PartyKind.EMSP.value, PartyKind.PARTNER.value


def parties_of(facts: PeriodFacts) -> PartyDirectory:
    return PartyDirectory.of(
        facts.platform, facts.partners, facts.customers, facts.organizations, facts.emsps
    )


def build_period_documents(facts: PeriodFacts) -> tuple[Document, ...]:
    """Every document of the period, in a deterministic order (see
    `domain.settlement_parties.assemble_documents`)."""
    parties = parties_of(facts)
    items: list[tuple[DocKey, DocumentLine]] = []
    subscription_net = _subscription_lines(facts, parties, items)
    _kickback_lines(facts, parties, subscription_net, items)
    _session_lines(facts, parties, items)
    return assemble_documents(facts.period, parties, group_lines(items))


def _subscription_lines(
    facts: PeriodFacts, parties: PartyDirectory, items: list
) -> dict[int, int]:
    """Subscription lines on the main organizations' invoices; returns each
    customer's subscription net (the kickback's base)."""
    period = parse_period(facts.period)
    vat = facts.platform.vat_rate_percent
    plans = {p.id: p for p in facts.plans}
    net_by_customer: dict[int, int] = defaultdict(int)
    for cp in facts.charging_points:
        plan = plans.get(cp.plan_id) if cp.plan_id is not None else None
        span = billable_range(period, cp.first_connected_on, cp.billing_ended_on)
        if plan is None or span is None:
            continue
        days = (span[1] - span[0]).days + 1
        amount = pro_rata_cents(plan.monthly_fee_cents, days, period.days)
        payer = parties.organizations[cp.organization_id].main_organization_id
        line = subscription_line(
            ocpp_id=cp.ocpp_id, plan_name=plan.name, monthly_fee_cents=plan.monthly_fee_cents,
            first_day=span[0], last_day=span[1], days=days, days_in_month=period.days,
            amount_cents=amount, vat_rate=vat,
        )
        items.append(((INVOICE, ORG, payer), line))
        net_by_customer[cp.customer_id] += amount
    return net_by_customer


def _kickback_lines(
    facts: PeriodFacts, parties: PartyDirectory, net_by_customer: dict[int, int], items: list
) -> None:
    for customer_id, base in net_by_customer.items():
        partner_id = parties.customers[customer_id].partner_id
        if partner_id is None:
            continue
        partner = parties.partners[partner_id]
        percent = partner.subscription_kickback_percent
        if percent <= 0:
            continue
        line = kickback_line(
            customer_id=customer_id, customer_name=parties.customers[customer_id].name,
            percent=percent, base_cents=base,
            amount_cents=round_half_up(base * percent / 100),
            vat_rate=_payee_vat(facts, parties, PARTNER, partner_id),
        )
        items.append(((PROFIT, PARTNER, partner_id), line))


def _payee_vat(facts: PeriodFacts, parties: PartyDirectory, kind: str, party_id: int):
    return facts.platform.vat_rate_percent if parties.payee_vat_applies(kind, party_id) else ZERO


def _session_lines(facts: PeriodFacts, parties: PartyDirectory, items: list) -> None:
    period = parse_period(facts.period)
    tz = facts.platform.time_zone
    vat = facts.platform.vat_rate_percent
    reimbursed: dict[tuple[int, int, str], list[SessionFacts]] = defaultdict(list)
    fees: dict[tuple[int, int], list[SessionFacts]] = defaultdict(list)
    for s in facts.sessions:
        ended_on = local_date(s.stopped_at, tz)
        if ended_on > period.last_day:
            continue  # a later period's session
        late = ended_on < period.first_day
        if s.category == Category.REIMBURSED:
            if late:
                items.append(((INVOICE, ORG, s.main_organization_id),
                              _reimbursed([s], parties, late=True, ended_on=ended_on)))
            else:
                reimbursed[(s.main_organization_id, s.organization_id, s.ocpp_id)].append(s)
            items.append(((PAYOUT, ORG, s.organization_id), reimbursement_line(
                workflow_id=s.workflow_id, ocpp_id=s.ocpp_id, energy_wh=s.energy_wh,
                amount_cents=s.employee_payout_cents, occurred_on=ended_on, late=late,
            )))
        elif s.category == Category.ROAMING and s.emsp_id is not None:
            items.append(((ROAMING, EMSP, s.emsp_id), roaming_session_line(
                workflow_id=s.workflow_id, ocpp_id=s.ocpp_id, id_tag=s.id_tag,
                started_at=s.started_at, stopped_at=s.stopped_at, energy_wh=s.energy_wh,
                amount_cents=s.emsp_billed_cents, vat_rate=vat, occurred_on=ended_on,
                late=late, time_zone=tz,
            )))
            items.append(((PAYOUT, ORG, s.organization_id), roaming_compensation_line(
                workflow_id=s.workflow_id, ocpp_id=s.ocpp_id, energy_wh=s.energy_wh,
                amount_cents=s.owner_compensation_cents,
                vat_rate=_payee_vat(facts, parties, ORG, s.organization_id),
                occurred_on=ended_on, late=late,
            )))
            if s.partner_id is None:
                continue  # the platform's default fee stays with the platform
            if late:
                items.append(((PROFIT, PARTNER, s.partner_id),
                              _fees([s], facts, parties, late=True, ended_on=ended_on)))
            else:
                fees[(s.partner_id, s.customer_id)].append(s)
    for (main_id, _employee, _ocpp), group in reimbursed.items():
        items.append(((INVOICE, ORG, main_id), _reimbursed(group, parties, late=False)))
    for (partner_id, _customer), group in fees.items():
        items.append(((PROFIT, PARTNER, partner_id), _fees(group, facts, parties, late=False)))


def _reimbursed(
    group: list[SessionFacts], parties: PartyDirectory, *, late: bool, ended_on: date | None = None
) -> DocumentLine:
    first = group[0]
    return reimbursed_energy_line(
        employee_id=first.organization_id,
        employee_name=parties.organizations[first.organization_id].name,
        ocpp_id=first.ocpp_id,
        energy_wh=sum(s.energy_wh for s in group),
        sessions=len(group),
        amount_cents=sum(s.main_org_invoiced_cents for s in group),
        late=late,
        occurred_on=ended_on,
        workflow_id=first.workflow_id if late else None,
    )


def _fees(
    group: list[SessionFacts],
    facts: PeriodFacts,
    parties: PartyDirectory,
    *,
    late: bool,
    ended_on: date | None = None,
) -> DocumentLine:
    first = group[0]
    return roaming_fees_line(
        customer_id=first.customer_id,
        customer_name=parties.customers[first.customer_id].name,
        energy_wh=sum(s.energy_wh for s in group),
        sessions=len(group),
        amount_cents=sum(s.partner_fee_cents for s in group),
        vat_rate=_payee_vat(facts, parties, PARTNER, first.partner_id),
        late=late,
        occurred_on=ended_on,
        workflow_id=first.workflow_id if late else None,
    )
