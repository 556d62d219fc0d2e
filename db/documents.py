"""Issuing a period's documents (DOMAIN.md §8): numbers, storage, ledger.

`issue_documents` issues a batch in ONE database transaction: for each document
it takes the next number of its issuer, series and year from a row-locked
counter, stores the document, and posts its journal entries (keys per period
and document, `domain/document_postings.py`). A crash rolls back number,
document and postings together, so numbers stay gap-free; numbers are never
assigned at render time. Issuing a (period, document key) that is already
issued returns the stored document: no second number, no second posting. The
same key with different content is refused: issued documents never change,
corrections are credit notes.

The sessions a period's documents settle are recorded with it
(`period_sessions`), so a late session is picked up by exactly one period.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from db.base import transaction
from db.document_codec import content_sha256, document_from_json, document_to_json
from db.ledger import post_entry
from db.models.documents import DocumentSequence, IssuedDocumentRow, PeriodSession
from domain.document_postings import document_entries
from domain.documents import Direction, Document, DocumentKind, IssuedDocument, PartyKind

__all__ = [
    "DocumentAlreadyIssued",
    "SessionAlreadySettled",
    "as_issued",
    "issue_documents",
    "issued_document",
    "period_documents",
    "record_pdf",
    "settled_sessions",
]

log = logging.getLogger(__name__)

SERIES = {
    DocumentKind.INVOICE: "INV",
    DocumentKind.ROAMING_INVOICE: "INV",
    DocumentKind.PAYOUT_STATEMENT: "SB",
    DocumentKind.PROFIT_SHARE_STATEMENT: "SB",
    DocumentKind.CREDIT_NOTE: "CN",
}
PAYMENT_TERM_DAYS = 14  # invoices: due two weeks after issue
PAYOUT_DAYS = 5  # statements: paid within a week after approval


class DocumentAlreadyIssued(ValueError):
    """The period's document key is issued with different content."""


class SessionAlreadySettled(ValueError):
    """A session is already settled into another period."""


def document_number(*, issuer_ref: str, series: str, year: int, sequence: int) -> str:
    """`INV-2026-000001` for the platform; other issuers carry their ref
    (`SB-PARTNER1-2026-000001`) so a number is unique across issuers."""
    kind, _, ident = issuer_ref.partition(":")
    prefix = series if kind == PartyKind.PLATFORM else f"{series}-{kind.upper()}{ident}"
    return f"{prefix}-{year}-{sequence:06d}"


def issue_documents(
    factory: sessionmaker[Session],
    *,
    period: str,
    documents: Sequence[Document],
    issue_date: date,
    sessions: Iterable[tuple[str, bool]] = (),
) -> list[IssuedDocument]:
    """Issue `documents` of `period` and record `sessions` ((workflow id, late))
    as settled into it, all in one transaction; returns them in input order."""
    issued_at = datetime.combine(issue_date, time(12), UTC)
    with transaction(factory) as session:
        record_sessions(session, period=period, sessions=sessions)
        return [
            _issue_one(session, period=period, document=doc, issue_date=issue_date,
                       issued_at=issued_at)
            for doc in documents
        ]


def _issue_one(
    session: Session, *, period: str, document: Document, issue_date: date, issued_at: datetime
) -> IssuedDocument:
    if document.period != period:
        raise ValueError(f"document {document.key} is of period {document.period}, not {period}")
    issuer_ref, series, year = document.issuer.ref, SERIES[document.kind], issue_date.year
    # Lock the counter first: concurrent issuers of the same issuer queue here,
    # and the existence check below then sees what the previous one committed.
    last = _lock_counter(session, issuer_ref=issuer_ref, series=series, year=year)
    existing = _row(session, period, document.key)
    digest = content_sha256(document)
    if existing is not None:
        if existing.content_sha256 != digest:
            raise DocumentAlreadyIssued(
                f"{document.key} of {period} is already issued as {existing.number} with "
                "different content; issued documents never change: correct it with a credit note"
            )
        return as_issued(existing)
    sequence = last + 1
    session.execute(
        update(DocumentSequence)
        .where(DocumentSequence.issuer_ref == issuer_ref, DocumentSequence.series == series,
               DocumentSequence.year == year)
        .values(last_number=sequence)
    )
    number = document_number(issuer_ref=issuer_ref, series=series, year=year, sequence=sequence)
    term = PAYMENT_TERM_DAYS if document.direction is Direction.DUE_TO_PLATFORM else PAYOUT_DAYS
    row = IssuedDocumentRow(
        period=period, document_key=document.key, kind=str(document.kind),
        direction=str(document.direction), number=number, issuer_ref=issuer_ref, series=series,
        year=year, sequence_number=sequence, recipient_ref=document.recipient.ref,
        recipient_name=document.recipient.name, issue_date=issue_date,
        due_date=issue_date + timedelta(days=term), content=document_to_json(document),
        content_sha256=digest, net_cents=document.net_cents, vat_cents=document.vat_cents,
        total_cents=document.total_cents, currency=document.currency,
        corrects_number=document.corrects_number, issued_at=issued_at,
    )
    session.add(row)
    session.flush()
    for entry in document_entries(document, corrected_kind=_corrected_kind(session, document)):
        post_entry(session, entry, occurred_at=issued_at, reference=number)
    log.info("issued %s %s to %s: %s cents", document.kind, number, document.recipient.name,
             document.total_cents)
    return as_issued(row)


def _lock_counter(session: Session, *, issuer_ref: str, series: str, year: int) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(DocumentSequence)
        .values(issuer_ref=issuer_ref, series=series, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    return session.execute(
        select(DocumentSequence.last_number)
        .where(DocumentSequence.issuer_ref == issuer_ref, DocumentSequence.series == series,
               DocumentSequence.year == year)
        .with_for_update()
    ).scalar_one()


def _corrected_kind(session: Session, document: Document) -> DocumentKind | None:
    """The kind a credit note corrects: that of the document at the start of its
    chain (a second correction corrects the first credit note, which corrects
    the invoice)."""
    if document.kind is not DocumentKind.CREDIT_NOTE:
        return None
    number: str | None = document.corrects_number
    seen: set[str] = set()
    while number is not None and number not in seen:
        seen.add(number)
        row = session.execute(
            select(IssuedDocumentRow.kind, IssuedDocumentRow.corrects_number)
            .where(IssuedDocumentRow.number == number)
        ).one_or_none()
        if row is None:
            break
        if DocumentKind(row.kind) is not DocumentKind.CREDIT_NOTE:
            return DocumentKind(row.kind)
        number = row.corrects_number
    raise ValueError(
        f"credit note {document.key}: no issued document {document.corrects_number} "
        "that starts from an invoice or statement"
    )


def record_sessions(session: Session, *, period: str, sessions: Iterable[tuple[str, bool]]) -> None:
    """Mark sessions settled into `period`; one settled elsewhere is refused."""
    wanted = dict(sessions)
    if not wanted:
        return
    known = dict(
        session.execute(
            select(PeriodSession.workflow_id, PeriodSession.period).where(
                PeriodSession.workflow_id.in_(list(wanted))
            )
        ).all()
    )
    elsewhere = {wf: p for wf, p in known.items() if p != period}
    if elsewhere:
        wf, other = next(iter(sorted(elsewhere.items())))
        raise SessionAlreadySettled(
            f"session {wf} is already settled into {other}; it cannot be settled into {period}"
        )
    session.add_all(
        PeriodSession(workflow_id=wf, period=period, late=late)
        for wf, late in wanted.items()
        if wf not in known
    )
    session.flush()


def settled_sessions(session: Session, period: str) -> list[str]:
    return list(
        session.scalars(
            select(PeriodSession.workflow_id)
            .where(PeriodSession.period == period)
            .order_by(PeriodSession.workflow_id)
        )
    )


def _row(session: Session, period: str, key: str) -> IssuedDocumentRow | None:
    return session.scalar(
        select(IssuedDocumentRow).where(
            IssuedDocumentRow.period == period, IssuedDocumentRow.document_key == key
        )
    )


def as_issued(row: IssuedDocumentRow) -> IssuedDocument:
    return IssuedDocument(
        document=document_from_json(row.content), number=row.number,
        issue_date=row.issue_date, due_date=row.due_date, content_hash=row.pdf_sha256,
    )


def period_rows(session: Session, period: str) -> list[IssuedDocumentRow]:
    return list(
        session.scalars(
            select(IssuedDocumentRow)
            .where(IssuedDocumentRow.period == period)
            .order_by(IssuedDocumentRow.id)
        )
    )


def period_documents(session: Session, period: str) -> list[IssuedDocument]:
    """The period's issued documents (credit notes of a supplementary run too)."""
    return [as_issued(row) for row in period_rows(session, period)]


def issued_document(session: Session, number: str) -> tuple[IssuedDocument, str | None]:
    """One issued document by number, and the path of its PDF (if rendered)."""
    row = session.scalar(select(IssuedDocumentRow).where(IssuedDocumentRow.number == number))
    if row is None:
        raise LookupError(f"no issued document {number}")
    return as_issued(row), row.pdf_path


def record_pdf(factory: sessionmaker[Session], *, number: str, path: str, sha256: str) -> None:
    """Fill the rendered PDF's path and hash, once. The same values again are a
    no-op (a retried render); different ones are refused."""
    with transaction(factory) as session:
        row = session.scalar(
            select(IssuedDocumentRow).where(IssuedDocumentRow.number == number)
        )
        if row is None:
            raise LookupError(f"no issued document {number}")
        if row.pdf_sha256 is not None:
            if (row.pdf_sha256, row.pdf_path) != (sha256, path):
                raise DocumentAlreadyIssued(
                    f"{number} is already rendered to {row.pdf_path} (sha256 {row.pdf_sha256})"
                )
            return
        session.execute(
            update(IssuedDocumentRow)
            .where(IssuedDocumentRow.number == number, IssuedDocumentRow.pdf_sha256.is_(None))
            .values(pdf_path=path, pdf_sha256=sha256)
        )
