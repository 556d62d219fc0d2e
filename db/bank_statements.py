"""Bank statement lines in the database: matched (domain/bank_statement.py),
posted and stored once per (statement, entry reference). A line matched to a
flow posts the same per-document keys the released payment files posted, so a
confirmed debit or transfer is never posted twice; a return, and money arriving
again after one, post the line's own entry. Unmatched lines are kept and
matched again on a later import. Callers own the transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.ledger import post_entry
from db.models import IssuedDocumentRow, SettlementPeriod
from db.models.payments import BankStatementLine, InvoiceCollection, PayoutRow, ProviderPayment
from db.payments import RELEASABLE, open_collections, party_account
from domain.bank_statement import Match, OpenItem, PspItem, StatementLine, match_line
from domain.documents import Direction
from domain.ledger import collection_entry, payout_entry
from domain.payments import bank_entry, psp_payout_entry

__all__ = ["ImportResult", "collections_for", "import_statement_lines"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    statement_id: str
    lines: int
    new_lines: int
    matched: tuple[str, ...]
    returned: tuple[str, ...]
    unmatched: tuple[StatementLine, ...]
    entries: int


def collections_for(session: Session) -> list[OpenItem]:
    items = [OpenItem("collection", c.number, tuple(c.numbers.split()), c.amount_cents)
             for c in session.scalars(select(InvoiceCollection))]
    items += [OpenItem("payout", p.end_to_end_id, tuple(p.numbers.split()), -p.amount_cents)
              for p in session.scalars(select(PayoutRow))]
    return items


def import_statement_lines(session: Session, *, statement_id: str,
                           lines: list[StatementLine]) -> ImportResult:
    """Match and post every line not imported before (idempotent per line)."""
    for period in session.scalars(select(SettlementPeriod.period).where(
            SettlementPeriod.state.in_(RELEASABLE))):
        open_collections(session, period)
    items = collections_for(session)
    psp = [PspItem(p.payment_id, p.settlement_cents) for p in session.scalars(
        select(ProviderPayment).where(ProviderPayment.settlement_cents.is_not(None)))]
    matched, returned, unmatched, entries, new = [], [], [], 0, 0
    for line in lines:
        seen = session.scalar(select(BankStatementLine).where(
            BankStatementLine.statement_id == statement_id,
            BankStatementLine.entry_ref == line.entry_ref))
        match = match_line(line, items, psp)
        if seen is not None and seen.outcome == "unmatched" and match.outcome != "unmatched":
            # Unmatched before (the webhook or the approval came later): match it now.
            entries += _apply(session, statement_id, line, match)
            seen.outcome, seen.matched = match.outcome, _matched(match)
        elif seen is not None:
            match = Match(seen.outcome) if seen.outcome == "unmatched" else match
        if seen is None:
            new += 1
            entries += _apply(session, statement_id, line, match)
            session.add(BankStatementLine(
                statement_id=statement_id, entry_ref=line.entry_ref,
                booking_date=line.booking_date, amount_cents=line.amount_cents,
                end_to_end_id=line.end_to_end_id, reference=line.reference[:500],
                counterparty=line.counterparty[:200], return_reason=line.return_reason,
                outcome=match.outcome, matched=_matched(match)))
            session.flush()
        if match.outcome == "unmatched":
            unmatched.append(line)
        elif match.outcome.endswith("returned"):
            returned.append(match.item.key)
        else:
            matched.append(match.item.key if match.item else line.entry_ref)
    log.info("statement %s: %d lines (%d new), %d matched, %d returned, %d unmatched",
             statement_id, len(lines), new, len(matched), len(returned), len(unmatched))
    return ImportResult(statement_id, len(lines), new, tuple(matched), tuple(returned),
                        tuple(unmatched), entries)


def _apply(session: Session, statement_id: str, line: StatementLine, match) -> int:
    now: datetime = utcnow()
    line_key = f"bank:{statement_id}:{line.entry_ref}"[:200]
    posted = 0
    retried = (match.outcome == "collected" and session.get(InvoiceCollection,
                                                           match.item.key).failures > 0) or (
        match.outcome == "paid_out" and _payout(session, match.item.key).attempt > 1)
    if retried:
        # After a return the document's own entry is spent (and reversed by the
        # return): the money arriving again is this line's own entry.
        flow = (session.get(InvoiceCollection, match.item.key).recipient_ref
                if match.outcome == "collected" else _payout(session, match.item.key).payee_ref)
        direction = (Direction.DUE_TO_PLATFORM if match.outcome == "collected"
                     else Direction.PAID_BY_PLATFORM)
        entry = bank_entry(key=line_key, description=f"{match.outcome} {match.item.key} again",
                           account=party_account(flow, direction), amount_cents=line.amount_cents)
        posted += post_entry(session, entry, occurred_at=now, reference=match.item.key).created
    documents = [] if retried else session.scalars(select(IssuedDocumentRow).where(
        IssuedDocumentRow.number.in_(match.item.numbers))).all() if match.item else []
    if match.outcome in ("collected", "paid_out") and not retried and not documents:
        # A flow without issued documents of its own (recorded by hand): the line's entry.
        flow_ref = (session.get(InvoiceCollection, match.item.key).recipient_ref
                    if match.outcome == "collected" else _payout(session, match.item.key).payee_ref)
        direction = (Direction.DUE_TO_PLATFORM if match.outcome == "collected"
                     else Direction.PAID_BY_PLATFORM)
        posted += post_entry(session, bank_entry(
            key=line_key, description=f"{match.outcome} {match.item.key}",
            account=party_account(flow_ref, direction), amount_cents=line.amount_cents),
            occurred_at=now, reference=match.item.key).created
    if match.outcome in ("collected", "paid_out"):
        for row in documents:
            account = party_account(row.recipient_ref, row.direction)
            # The same keys as releasing the files: a released debit is not posted twice.
            entry = (collection_entry(period=row.period, document=row.document_key,
                                      debtor_account=account, amount_cents=row.total_cents)
                     if match.outcome == "collected" else
                     payout_entry(period=row.period, document=row.document_key,
                                  payee_account=account, amount_cents=row.total_cents))
            if entry is not None:
                posted += post_entry(session, entry, occurred_at=now, reference=row.number).created
        if match.outcome == "collected":
            c = session.get(InvoiceCollection, match.item.key)
            c.status, c.paid_at = "paid", now
        else:
            _payout(session, match.item.key).status = "paid"
    elif match.outcome.endswith("returned"):
        direction = (Direction.DUE_TO_PLATFORM if match.outcome == "collection_returned"
                     else Direction.PAID_BY_PLATFORM)
        ref = (session.get(InvoiceCollection, match.item.key).recipient_ref
               if direction == Direction.DUE_TO_PLATFORM
               else _payout(session, match.item.key).payee_ref)
        entry = bank_entry(key=line_key, description=f"returned {match.item.key} "
                           f"({line.return_reason or 'no reason'})",
                           account=party_account(ref, direction), amount_cents=line.amount_cents)
        posted += post_entry(session, entry, occurred_at=now, reference=match.item.key).created
        if direction == Direction.DUE_TO_PLATFORM:
            c = session.get(InvoiceCollection, match.item.key)
            c.status, c.failures = "failed", c.failures + 1
            c.last_reason = f"returned {line.return_reason or ''}".strip()
        else:
            p = _payout(session, match.item.key)
            p.status, p.failure_reason = "failed", line.return_reason or "returned"
    elif match.outcome == "psp":
        for item in match.psp:
            entry = psp_payout_entry(payment_id=item.payment_id,
                                     settlement_cents=item.settlement_cents, reference=line_key)
            posted += post_entry(session, entry, occurred_at=now, reference=line_key).created
    return posted


def _matched(match: Match) -> str | None:
    return " ".join(match.item.numbers if match.item else
                    [p.payment_id for p in match.psp])[:500] or None


def _payout(session: Session, end_to_end_id: str) -> PayoutRow:
    return session.scalar(select(PayoutRow).where(PayoutRow.end_to_end_id == end_to_end_id))

