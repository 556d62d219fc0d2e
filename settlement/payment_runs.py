"""The money a settled period moves, as SEPA files (DOMAIN.md §8): one credit
transfer (pain.001) for every payee of a payout or profit-share statement, and
one direct debit (pain.008) for every invoiced organization with a signed
mandate. eMSPs pay by bank transfer (matched from the bank statement).

Corrections are netted within the same flow, never across flows (SCENARIOS.md
November): a payee's statements and their credit notes make one payment; an
organization's invoices and their credit notes one collection; an
organization's invoices are never set off against its payouts. Credit notes of
a supplementary run move no money of their own: they are carried into the next
regular period's files (`carried_documents`).

A payee or debtor without a valid IBAN produces no file: the result says who,
and that message blocks the period's approval.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.documents import as_issued
from db.ledger import post_entry
from db.models import (
    IssuedDocumentRow,
    JournalEntryRow,
    Organization,
    Partner,
    PlatformSettings,
    SettlementPeriod,
)
from db.payments import payment_method
from domain.documents import Direction, DocumentKind, IssuedDocument, PartyKind
from domain.ledger import (
    EntryKind,
    collection_entry,
    document_key,
    payable_org,
    payable_partner,
    payout_entry,
    receivable_org,
)
from domain.payments import PaymentMethod

__all__ = ["PaymentFiles", "carried_documents", "release_payments", "write_payment_files"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentFiles:
    files: tuple[Path, ...]
    blocked: str | None  # why no (complete) file could be made
    paid: tuple[str, ...] = ()  # numbers of the documents in the credit transfers
    collected: tuple[str, ...] = ()  # numbers of the documents in the direct debits


def carried_documents(session: Session, period: str) -> list[IssuedDocument]:
    """Credit notes of earlier, settled periods (supplementary runs) whose money
    has not moved yet: they are netted into this period's payments. Moved means
    its payout (statements) or its direct debit (invoices) entry is posted."""
    moved = select(JournalEntryRow.idempotency_key).where(
        JournalEntryRow.kind.in_([str(EntryKind.PAYOUT), str(EntryKind.COLLECTION)])
    )
    settled = select(SettlementPeriod.period).where(SettlementPeriod.state == "settled")
    rows = session.scalars(
        select(IssuedDocumentRow)
        .where(IssuedDocumentRow.period < period, IssuedDocumentRow.period.in_(settled),
               IssuedDocumentRow.kind == str(DocumentKind.CREDIT_NOTE))
        .order_by(IssuedDocumentRow.id)
    ).all()
    step = {str(Direction.PAID_BY_PLATFORM): "payout", str(Direction.DUE_TO_PLATFORM): "collection"}
    keys = set(session.scalars(moved))
    return [
        as_issued(row) for row in rows
        if document_key(row.period, row.document_key, step[row.direction]) not in keys
    ]


def _flows(documents: Sequence[IssuedDocument], direction: Direction):
    """recipient ref → (recipient party, numbers, netted total cents)."""
    flows: dict[str, list] = defaultdict(lambda: [None, [], 0])
    for issued in documents:
        doc = issued.document
        if doc.direction is not direction:
            continue
        flow = flows[doc.recipient.ref]
        flow[0] = flow[0] or doc.recipient
        flow[1].append(issued.number)
        flow[2] += doc.total_cents
    return {ref: tuple(v) for ref, v in flows.items()}


def _current_ibans(session: Session) -> dict[str, str | None]:
    """Bank accounts are master data: pay to the IBAN on file now (a corrected
    IBAN counts), not the one printed when the statement was issued."""
    orgs = session.execute(select(Organization.id, Organization.iban)).all()
    partners = session.execute(select(Partner.id, Partner.iban)).all()
    return {f"{PartyKind.ORGANIZATION}:{i}": iban for i, iban in orgs} | {
        f"{PartyKind.PARTNER}:{i}": iban for i, iban in partners
    }


def write_payment_files(
    session: Session,
    *,
    period: str,
    run: int,
    documents: Sequence[IssuedDocument],
    out_dir: Path,
    execution_date: date,
) -> PaymentFiles:
    from settlement import sepa

    platform = session.scalar(select(PlatformSettings))
    out_dir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    files: list[Path] = []
    if not platform.iban:
        return PaymentFiles((), "the platform has no IBAN to pay from or collect to")
    own = sepa.SepaAccount(name=platform.legal_name or platform.name, iban=platform.iban, bic=None)

    payments, paid_numbers, collected_numbers = [], [], []
    paid = _flows(documents, Direction.PAID_BY_PLATFORM)
    accounts = _current_ibans(session)
    for ref, (party, numbers, cents) in sorted(paid.items()):
        if cents <= 0:
            continue
        paid_numbers += numbers
        payments.append(sepa.SepaPayment(
            name=party.name, iban=accounts.get(ref) or "", bic=None, amount_cents=cents,
            end_to_end_id=numbers[0], description=f"{period} {' '.join(numbers)}"[:140],
        ))
    try:
        if payments:
            path = out_dir / f"payouts-{period}-pain.001.xml"
            path.write_bytes(sepa.credit_transfer_file(
                debtor=own, payments=payments, message_id=f"EC-{period}-R{run}-PAYOUTS",
                execution_date=execution_date,
            ))
            files.append(path)
    except sepa.InvalidBankAccount as exc:
        problems.append(f"payouts cannot be paid: {exc}")

    # Collected by this file: who pays by direct debit (its payment method, or
    # none set and a mandate on file), never one that pays by Mollie or transfer
    # and happens to have a mandate (it would be collected twice, or unasked).
    mandates = {
        f"{PartyKind.ORGANIZATION}:{org.id}": org
        for org in session.scalars(
            select(Organization).where(Organization.sepa_mandate_id.is_not(None))
        )
        if payment_method(org) == PaymentMethod.SEPA_MANDATE
    }
    collections = []
    due = _flows(documents, Direction.DUE_TO_PLATFORM)
    for ref, (party, numbers, cents) in sorted(due.items()):
        org = mandates.get(ref)
        if org is None or cents <= 0:
            continue  # pays by bank transfer
        collected_numbers += numbers
        collections.append(sepa.SepaCollection(
            name=party.name, iban=org.iban or "", bic=None, amount_cents=cents,
            end_to_end_id=numbers[0], description=f"{period} {' '.join(numbers)}"[:140],
            mandate_id=org.sepa_mandate_id, mandate_signed_on=org.sepa_mandate_signed_on,
        ))
    # An invoice collected by direct debit announces "on or after <its due date>"
    # (invoices/render.py, the SEPA pre-notification): never collect earlier.
    collection_date = max(
        [execution_date] + [d.due_date for d in documents
                            if d.number in collected_numbers and d.due_date
                            and d.document.total_cents > 0])
    try:
        if collections:
            if not platform.sepa_creditor_id:
                raise sepa.InvalidBankAccount("the platform has no SEPA creditor identifier")
            path = out_dir / f"collections-{period}-pain.008.xml"
            path.write_bytes(sepa.direct_debit_file(
                creditor=own, creditor_id=platform.sepa_creditor_id, collections=collections,
                message_id=f"EC-{period}-R{run}-DEBITS", collection_date=collection_date,
            ))
            files.append(path)
    except sepa.InvalidBankAccount as exc:
        problems.append(f"direct debits cannot be collected: {exc}")
    for problem in problems:
        log.warning("settlement %s: %s", period, problem)
    return PaymentFiles(tuple(files), "; ".join(problems) or None, tuple(paid_numbers),
                        tuple(collected_numbers))


def release_payments(session: Session, *, paid: Sequence[str], collected: Sequence[str]) -> int:
    """The approved files go to the bank: each paid statement moves its payable
    to cash, each collected invoice its receivable (keys per document's own
    period, so a carried credit note is released once). Returns new entries."""
    created = 0
    rows = session.scalars(
        select(IssuedDocumentRow).where(IssuedDocumentRow.number.in_([*paid, *collected]))
    ).all()
    for row in rows:
        doc = as_issued(row).document
        rid = doc.recipient.id
        if row.number in paid:
            account = (payable_partner(rid) if doc.recipient.kind is PartyKind.PARTNER
                       else payable_org(rid))
            entry = payout_entry(period=row.period, document=row.document_key,
                                 payee_account=account, amount_cents=row.total_cents)
        else:
            entry = collection_entry(period=row.period, document=row.document_key,
                                     debtor_account=receivable_org(rid),
                                     amount_cents=row.total_cents)
        if entry is not None:
            created += post_entry(session, entry, occurred_at=utcnow(),
                                  reference=row.number).created
    return created
