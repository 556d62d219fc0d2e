"""Money that moves, in the database: the flows to collect and to pay out per
period, and the payment provider's payments and what they post (rules in
domain/payments.py; bank statements are db/bank_statements.py).

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

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.ledger import post_entry
from db.models import IssuedDocumentRow, Organization, SettlementPeriod
from db.models.payments import InvoiceCollection, PayoutRow, ProviderPayment
from domain.documents import Direction
from domain.ledger import payable_org, payable_partner, receivable_emsp, receivable_org
from domain.payments import FINAL_UNPAID_STATES, PaymentMethod, PspPayment, psp_entries

__all__ = [
    "PaymentOutcome",
    "PeriodNotApproved",
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


def flows_to_collect(session: Session, period: str) -> list[tuple[str, str]]:
    """(number, method) of the period's flows that a collection workflow follows:
    collected by Mollie or direct debit (a transfer is the debtor's to make), not
    yet paid. Opens the flows first (once)."""
    open_collections(session, period)
    dunned = (PaymentMethod.MOLLIE, PaymentMethod.SEPA_MANDATE)
    return [(number, method) for number, method in session.execute(
        select(InvoiceCollection.number, InvoiceCollection.method).where(
            InvoiceCollection.period == period, InvoiceCollection.method.in_(dunned),
            InvoiceCollection.status != "paid").order_by(InvoiceCollection.number))]


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
