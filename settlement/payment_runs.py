"""The money a settled period moves, as SEPA files (DOMAIN.md §8): one credit
transfer (pain.001) for every payee of a payout or profit-share statement, and
one direct debit (pain.008) for every invoiced organization with a signed
mandate. eMSPs pay by bank transfer (matched from the bank statement).

Corrections are netted within the same flow, never across flows (SCENARIOS.md
November): a payee's statements and their credit notes make one payment; an
organization's invoices and their credit notes one collection; an
organization's invoices are never set off against its payouts.

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

from db.models import Organization, Partner, PlatformSettings
from domain.documents import Direction, IssuedDocument, PartyKind

__all__ = ["PaymentFiles", "write_payment_files"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentFiles:
    files: tuple[Path, ...]
    blocked: str | None  # why no (complete) file could be made


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

    payments = []
    paid = _flows(documents, Direction.PAID_BY_PLATFORM)
    accounts = _current_ibans(session)
    for ref, (party, numbers, cents) in sorted(paid.items()):
        if cents <= 0:
            continue
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

    mandates = {
        f"{PartyKind.ORGANIZATION}:{org.id}": org
        for org in session.scalars(
            select(Organization).where(Organization.sepa_mandate_id.is_not(None))
        )
    }
    collections = []
    due = _flows(documents, Direction.DUE_TO_PLATFORM)
    for ref, (party, numbers, cents) in sorted(due.items()):
        org = mandates.get(ref)
        if org is None or cents <= 0:
            continue  # pays by bank transfer
        collections.append(sepa.SepaCollection(
            name=party.name, iban=org.iban or "", bic=None, amount_cents=cents,
            end_to_end_id=numbers[0], description=f"{period} {' '.join(numbers)}"[:140],
            mandate_id=org.sepa_mandate_id, mandate_signed_on=org.sepa_mandate_signed_on,
        ))
    try:
        if collections:
            if not platform.sepa_creditor_id:
                raise sepa.InvalidBankAccount("the platform has no SEPA creditor identifier")
            path = out_dir / f"collections-{period}-pain.008.xml"
            path.write_bytes(sepa.direct_debit_file(
                creditor=own, creditor_id=platform.sepa_creditor_id, collections=collections,
                message_id=f"EC-{period}-R{run}-DEBITS", collection_date=execution_date,
            ))
            files.append(path)
    except sepa.InvalidBankAccount as exc:
        problems.append(f"direct debits cannot be collected: {exc}")
    for problem in problems:
        log.warning("settlement %s: %s", period, problem)
    return PaymentFiles(tuple(files), "; ".join(problems) or None)
