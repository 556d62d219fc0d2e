"""A settlement period's state in the database, and the reads its
reconciliation needs (rules in domain/reconciliation.py).

State machine (`db/models/documents.py` PERIOD_STATES):

    open → computed → issued → awaiting_approval → approved → payouts_released → settled
                 ↑__________________________________|  (rejected by finance)

`advance` is idempotent: moving to the state the period is in, or to one it has
already passed (a retried step), changes nothing; skipping ahead is refused.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.document_codec import content_sha256, document_from_json
from db.documents import as_issued, period_rows
from db.models.documents import PERIOD_STATES, PeriodSession, SettlementPeriod
from db.models.ledger import ENTRY_POSTED, JournalEntryRow, LedgerPosting
from domain.ledger import EntryKind
from domain.reconciliation import Reconciliation, reconcile

__all__ = [
    "PeriodStateError",
    "advance",
    "get_period",
    "period_ledger",
    "reconcile_period",
    "reject",
]

log = logging.getLogger(__name__)

# Money leaving or arriving after approval is not part of what documents say.
_CASH_KINDS = (EntryKind.PAYOUT, EntryKind.COLLECTION, EntryKind.PSP_SETTLEMENT)


class PeriodStateError(ValueError):
    """A transition the period's state machine does not allow."""


def get_period(session: Session, period: str, *, create: bool = True) -> SettlementPeriod | None:
    row = session.scalar(
        select(SettlementPeriod).where(SettlementPeriod.period == period).with_for_update()
    )
    if row is None and create:
        row = SettlementPeriod(period=period, state="open", runs=1)
        session.add(row)
        session.flush()
    return row


def advance(
    session: Session, period: str, state: str, *, at: datetime | None = None, **fields
) -> SettlementPeriod:
    """Move `period` to `state` (one step forward), recording `fields`."""
    if state not in PERIOD_STATES:
        raise PeriodStateError(f"unknown period state {state!r}")
    row = get_period(session, period)
    current, target = PERIOD_STATES.index(row.state), PERIOD_STATES.index(state)
    if target <= current:
        return row  # already there or beyond: a retried step
    if target != current + 1:
        raise PeriodStateError(
            f"period {period} is {row.state}; it cannot become {state} before "
            f"{PERIOD_STATES[current + 1]}"
        )
    at = at or utcnow()
    row.state = state
    stamp = {"computed": "computed_at", "issued": "issued_at", "approved": "approved_at",
             "payouts_released": "payouts_released_at", "settled": "settled_at"}.get(state)
    if stamp:
        setattr(row, stamp, at)
    for name, value in fields.items():
        setattr(row, name, value)
    log.info("settlement period %s is now %s", period, state)
    return row


def reject(session: Session, period: str, *, by: str, reason: str, at: datetime) -> None:
    """Finance sends an awaiting period back to compute (a new run)."""
    row = get_period(session, period)
    if row.rejected_at == at and row.rejected_by == by:
        return  # the same rejection again
    if row.state != "awaiting_approval":
        raise PeriodStateError(f"period {period} is {row.state}, not awaiting approval")
    row.state, row.runs = "computed", row.runs + 1
    row.rejected_by, row.rejected_at, row.rejection_reason = by, at, reason
    row.approved_by = row.approved_at = None
    log.info("settlement period %s rejected by %s: %s", period, by, reason)


def period_ledger(session: Session, period: str, *, currency: str = "EUR") -> dict[str, int]:
    """Per account, the period's posted movements: the entries of the sessions
    settled into it and its documents' entries (keys `<period>:…`)."""
    sessions = select(PeriodSession.workflow_id).where(PeriodSession.period == period)
    rows = session.execute(
        select(LedgerPosting.account, func.sum(LedgerPosting.amount_cents))
        .join(JournalEntryRow, JournalEntryRow.id == LedgerPosting.entry_id)
        .where(
            JournalEntryRow.status == ENTRY_POSTED,
            JournalEntryRow.currency == currency,
            JournalEntryRow.kind.not_in([str(k) for k in _CASH_KINDS]),
            or_(
                JournalEntryRow.idempotency_key.like(f"{period}:%"),
                JournalEntryRow.reference.in_(sessions),
            ),
        )
        .group_by(LedgerPosting.account)
        .order_by(LedgerPosting.account)
    ).all()
    return {account: int(total) for account, total in rows if int(total) != 0}


def reconcile_period(session: Session, period: str) -> Reconciliation:
    """The period's documents against its ledger, after checking that every
    stored document still says what it said when issued (content hash, totals,
    rendered PDF)."""
    rows = period_rows(session, period)
    problems: list[str] = []
    for row in rows:
        doc = document_from_json(row.content)
        if content_sha256(doc) != row.content_sha256:
            problems.append(f"document {row.number}: content changed since it was issued")
        if (row.net_cents, row.vat_cents, row.total_cents) != (
            doc.net_cents, doc.vat_cents, doc.total_cents
        ):
            problems.append(
                f"document {row.number}: stored totals {row.net_cents}/{row.vat_cents}/"
                f"{row.total_cents} differ from its lines {doc.net_cents}/{doc.vat_cents}/"
                f"{doc.total_cents} (net/VAT/total cents)"
            )
        if row.pdf_path and row.pdf_sha256:
            pdf = Path(row.pdf_path)
            if not pdf.exists():
                problems.append(f"document {row.number}: its PDF {pdf} is missing")
            elif hashlib.sha256(pdf.read_bytes()).hexdigest() != row.pdf_sha256:
                problems.append(f"document {row.number}: its PDF {pdf} was changed")
    documents = [as_issued(row) for row in rows]
    return reconcile(period, documents, period_ledger(session, period), problems=problems)
