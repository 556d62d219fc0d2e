"""Finance's view of a period's money (DOMAIN.md §8): what was collected,
what is outstanding and overdue, what was paid out and what bounced. One
repository function, `period_overview`, shared by the CLI (`energycloud
payments --period 2026-10`), the REST API and the finance portal's
settlement page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import IssuedDocumentRow
from db.models.payments import InvoiceCollection, PayoutRow

__all__ = ["FlowLine", "PeriodOverview", "period_overview"]


@dataclass(frozen=True)
class FlowLine:
    direction: str  # in | out
    number: str  # the flow's first document number (its end-to-end id)
    party: str
    method: str
    amount_cents: int
    status: str  # open | paid | failed | flagged | sent
    due_date: date | None
    note: str = ""


@dataclass(frozen=True)
class PeriodOverview:
    period: str
    collected_cents: int
    outstanding_cents: int
    overdue_cents: int
    paid_out_cents: int
    payouts_pending_cents: int
    bounced_cents: int  # collections returned / failed now, and failed payouts
    lines: tuple[FlowLine, ...]


def period_overview(session: Session, period: str, *, today: date) -> PeriodOverview:
    lines: list[FlowLine] = []
    collected = outstanding = overdue = bounced = 0
    # A flow is named by its first document: the debtor is that document's recipient.
    names = dict(session.execute(select(IssuedDocumentRow.number, IssuedDocumentRow.recipient_name)
                                 .where(IssuedDocumentRow.period == period)).all())
    for c in session.scalars(select(InvoiceCollection).where(InvoiceCollection.period == period)
                             .order_by(InvoiceCollection.number)):
        if c.status == "paid":
            collected += c.amount_cents
        else:
            outstanding += c.amount_cents
            if c.due_date is not None and c.due_date < today:
                overdue += c.amount_cents
            if c.status in ("failed", "flagged"):
                bounced += c.amount_cents
        party = names.get(c.number, c.recipient_ref)
        lines.append(FlowLine("in", c.number, party, c.method, c.amount_cents, c.status,
                              c.due_date, c.last_reason or ""))
    paid_out = pending = 0
    latest: dict[str, PayoutRow] = {}
    for p in session.scalars(select(PayoutRow).where(PayoutRow.period == period)
                             .order_by(PayoutRow.attempt)):
        latest[p.payee_ref] = p
    for p in sorted(latest.values(), key=lambda p: p.end_to_end_id):
        if p.status == "paid":
            paid_out += p.amount_cents
        elif p.status == "failed":
            bounced += p.amount_cents
        else:
            pending += p.amount_cents
        lines.append(FlowLine("out", p.end_to_end_id, p.payee_name, p.method, p.amount_cents,
                              p.status, None, p.failure_reason or f"attempt {p.attempt}"))
    return PeriodOverview(period, collected, outstanding, overdue, paid_out, pending, bounced,
                          tuple(lines))
