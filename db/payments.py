"""Money that moves, in the database: the flows to collect and to pay out per
period, the payment provider's payments and what they post, and bank statement
lines matched and posted (rules in domain/payments.py, domain/bank_statement.py).

Everything here is idempotent: a provider payment posts only the entries its
state implies that are not posted yet (keys per payment and status); a
statement line is stored once per (statement, entry reference) and its
entries are keyed by the line or by the document they settle; a payout row is
unique per (period, payee, attempt). Callers own the transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.ledger import post_entry
from db.models import IssuedDocumentRow, Organization, SettlementPeriod
from db.models.payments import BankStatementLine, InvoiceCollection, PayoutRow, ProviderPayment
from domain.bank_statement import Match, OpenItem, PspItem, StatementLine, match_line
from domain.documents import Direction
from domain.ledger import (
    collection_entry,
    payable_org,
    payable_partner,
    payout_entry,
    receivable_emsp,
    receivable_org,
)
from domain.payments import (
    FINAL_UNPAID_STATES,
    PaymentMethod,
    PspPayment,
    bank_entry,
    psp_entries,
    psp_payout_entry,
)

__all__ = [
    "ImportResult",
    "PaymentOutcome",
    "PeriodNotApproved",
    "collections_for",
    "import_statement_lines",
    "open_collections",
    "open_payouts",
    "party_account",
    "record_psp_payment",
]

log = logging.getLogger(__name__)
RELEASABLE = ("approved", "payouts_released", "settled")


class PeriodNotApproved(ValueError):
    """Payouts of a period that finance has not approved."""


def party_account(recipient_ref: str, direction: str) -> str:
    """The receivable or payable of a document's recipient (`organization:12`)."""
    kind, _, rid = recipient_ref.partition(":")
    if direction == Direction.DUE_TO_PLATFORM:
        return receivable_emsp(int(rid)) if kind == "emsp" else receivable_org(int(rid))
    return payable_partner(int(rid)) if kind == "partner" else payable_org(int(rid))


def _flows(session: Session, period: str, direction: Direction):
    """recipient ref → (name, [rows]) in issue order, as the payment files net them."""
    rows = session.scalars(
        select(IssuedDocumentRow).where(IssuedDocumentRow.period == period,
                                        IssuedDocumentRow.direction == str(direction))
        .order_by(IssuedDocumentRow.id)
    ).all()
    flows: dict[str, list] = defaultdict(list)
    for row in rows:
        flows[row.recipient_ref].append(row)
    return flows


def payment_method(org: Organization | None) -> str:
    if org is None:  # an eMSP: transfers on the roaming invoice
        return PaymentMethod.BANK_TRANSFER
    if org.payment_method:
        return org.payment_method
    return PaymentMethod.SEPA_MANDATE if org.sepa_mandate_id else PaymentMethod.BANK_TRANSFER


def open_collections(session: Session, period: str) -> list[InvoiceCollection]:
    """The period's flows to collect (created once), one per debtor."""
    out = []
    for ref, rows in sorted(_flows(session, period, Direction.DUE_TO_PLATFORM).items()):
        cents = sum(r.total_cents for r in rows)
        key = rows[0].number
        row = session.get(InvoiceCollection, key)
        if row is None and cents > 0:
            kind, _, rid = ref.partition(":")
            org = session.get(Organization, int(rid)) if kind == "organization" else None
            row = InvoiceCollection(
                number=key, numbers=" ".join(r.number for r in rows), period=period,
                recipient_ref=ref, amount_cents=cents, method=str(payment_method(org)),
                status="open", failures=0, reminders=0,
                due_date=max((r.due_date for r in rows if r.due_date), default=None))
            session.add(row)
            session.flush()
        if row is not None:
            out.append(row)
    return out


def open_payouts(session: Session, period: str, *, method: str, reference: str,
                 retry_failed: bool = False) -> list[PayoutRow]:
    """The period's payouts (created once per payee and attempt). Only for an
    approved period. With `retry_failed`, a failed payout gets a new attempt
    (a new key); a sent or paid one never does, so nobody is paid twice."""
    state = session.scalar(select(SettlementPeriod.state).where(SettlementPeriod.period == period))
    if state not in RELEASABLE:
        raise PeriodNotApproved(f"Period {period} is {state or 'not settled'}; payouts run only "
                                "after finance approved it.")
    out = []
    for ref, rows in sorted(_flows(session, period, Direction.PAID_BY_PLATFORM).items()):
        cents = sum(r.total_cents for r in rows)
        if cents <= 0:
            continue
        attempts = session.scalars(select(PayoutRow).where(
            PayoutRow.period == period, PayoutRow.payee_ref == ref).order_by(PayoutRow.attempt)
        ).all()
        last = attempts[-1] if attempts else None
        if last is not None and not (retry_failed and last.status == "failed"):
            out.append(last)
            continue
        attempt = last.attempt + 1 if last else 1
        row = PayoutRow(
            idempotency_key=f"payout:{period}:{ref}:{attempt}", period=period, payee_ref=ref,
            payee_name=rows[0].recipient_name, numbers=" ".join(r.number for r in rows),
            end_to_end_id=rows[0].number if attempt == 1 else f"{rows[0].number}-R{attempt}"[:35],
            amount_cents=cents, attempt=attempt, method=method, reference=reference,
            status="sent")
        session.add(row)
        session.flush()
        out.append(row)
    return out


@dataclass(frozen=True)
class PaymentOutcome:
    invoice_number: str
    payment_id: str
    status: str  # paid | failed | expired | canceled | charged_back | refunded | open | pending
    created_entries: int


def record_psp_payment(session: Session, payment: PspPayment, *, invoice_number: str | None = None,
                       attempt: int = 1, provider: str = "mollie") -> PaymentOutcome | None:
    """Store the provider's state of `payment` and post what it implies, once.
    None for a payment the platform never created (unknown: nothing moves)."""
    row = session.scalar(select(ProviderPayment).where(ProviderPayment.payment_id == payment.id))
    if row is None:
        if invoice_number is None:
            return None
        row = ProviderPayment(provider=provider, payment_id=payment.id,
                              invoice_number=invoice_number, attempt=attempt,
                              sequence_type=payment.sequence_type,
                              amount_cents=payment.amount_cents,
                              status=payment.status, chargebacks=0, refunded_cents=0)
        session.add(row)
    collection = session.get(InvoiceCollection, row.invoice_number)
    if collection is None:
        raise ValueError(f"payment {payment.id} collects {row.invoice_number}, which is not an "
                         "open collection")
    row.status, row.settlement_cents = payment.status, payment.settlement_cents
    row.chargebacks = len(payment.chargebacks)
    row.refunded_cents = sum(r.amount_cents for r in payment.refunds if r.status == "refunded")
    session.flush()
    account = party_account(collection.recipient_ref, Direction.DUE_TO_PLATFORM)
    created = sum(post_entry(session, e, occurred_at=utcnow(), reference=row.invoice_number).created
                  for e in psp_entries(payment, receivable=account))
    status = _outcome_status(payment)
    latest = session.scalar(select(ProviderPayment.payment_id).where(
        ProviderPayment.invoice_number == row.invoice_number
    ).order_by(ProviderPayment.attempt.desc(), ProviderPayment.id.desc()).limit(1))
    if status == "paid":
        collection.status, collection.paid_at = "paid", collection.paid_at or utcnow()
    elif latest == payment.id and collection.status != "flagged" and status in (
            "charged_back", *FINAL_UNPAID_STATES):
        collection.status, collection.last_reason = "failed", status
    return PaymentOutcome(row.invoice_number, payment.id, status, created)


def _outcome_status(payment: PspPayment) -> str:
    if payment.chargebacks:
        return "charged_back"
    if payment.was_paid and any(r.status == "refunded" for r in payment.refunds):
        return "refunded"
    return payment.status


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

