"""Tables of monthly settlement (DOMAIN.md §8): settlement periods and their
state, issued documents, gap-free number sequences, and which sessions were
settled into which period.

Issued documents are immutable, enforced by the database itself on SQLite and
PostgreSQL (as `db/models/ledger.py` does for posted journal entries): an
UPDATE is refused unless it only fills the rendered PDF's path and sha256 from
NULL (once), and a DELETE is always refused. Corrections are credit notes.
`document_trigger_ddl(dialect)` returns the same statements for a migration.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime, one_of, utcnow
from db.models.triggers import Triggers, sqlite_refusal

__all__ = [
    "DocumentSequence",
    "IssuedDocumentRow",
    "PERIOD_STATES",
    "PeriodSession",
    "SettlementPeriod",
    "document_trigger_ddl",
    "document_trigger_drop_ddl",
]

# open → computed → issued → awaiting_approval → approved → payouts_released → settled
# (a rejection returns an awaiting_approval period to `computed`).
PERIOD_STATES = (
    "open",
    "computed",
    "issued",
    "awaiting_approval",
    "approved",
    "payouts_released",
    "settled",
)


class SettlementPeriod(Base):
    """One calendar month's settlement run and who decided on it."""

    __tablename__ = "settlement_periods"
    __table_args__ = (one_of("state", PERIOD_STATES),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)  # "2026-10"
    state: Mapped[str] = mapped_column(String(24), default="open")
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    # How often the period was sent back by finance (each return is a new run).
    runs: Mapped[int] = mapped_column(Integer, default=1)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by: Mapped[str | None] = mapped_column(String(200))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(1000))
    payouts_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why approval is blocked (reconciliation mismatch, invalid IBAN), or NULL.
    blocked_reason: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DocumentSequence(Base):
    """The last number handed out per issuer, series and year. Numbers are taken
    with this row locked, in the transaction that stores the document."""

    __tablename__ = "document_sequences"
    issuer_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


class IssuedDocumentRow(Base):
    """An issued document: its number, dates, content and totals. Immutable."""

    __tablename__ = "issued_documents"
    __table_args__ = (
        UniqueConstraint("period", "document_key", name="uq_issued_documents_period_key"),
        UniqueConstraint("issuer_ref", "series", "year", "sequence_number",
                         name="uq_issued_documents_sequence"),
        CheckConstraint("total_cents = net_cents + vat_cents", name="total"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    document_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(64), unique=True)
    issuer_ref: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    sequence_number: Mapped[int] = mapped_column(BigInteger)
    recipient_ref: Mapped[str] = mapped_column(String(64), index=True)
    recipient_name: Mapped[str] = mapped_column(String(200))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    # The whole document (parties, branding, lines; Decimals as strings) and the
    # sha256 of its canonical JSON, checked again before approval.
    content: Mapped[dict] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    corrects_number: Mapped[str | None] = mapped_column(String(64))
    # Set once, after rendering (the only UPDATE the database allows).
    pdf_path: Mapped[str | None] = mapped_column(String(500))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeriodSession(Base):
    """A finished session and the period it was settled into: a session is
    settled exactly once; a late one goes into the next period still open."""

    __tablename__ = "period_sessions"
    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Every content column: none of them may change once the document is issued.
_CONTENT_COLUMNS = (
    "id", "period", "document_key", "kind", "direction", "number", "issuer_ref", "series",
    "year", "sequence_number", "recipient_ref", "recipient_name", "issue_date", "due_date",
    "content_sha256", "net_cents", "vat_cents", "total_cents", "currency",
    "corrects_number", "issued_at",
)
_SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _CONTENT_COLUMNS)
_PG_SAME = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _CONTENT_COLUMNS)
_PDF_FILL = (
    "OLD.pdf_path IS NULL AND OLD.pdf_sha256 IS NULL"
    " AND NEW.pdf_path IS NOT NULL AND NEW.pdf_sha256 IS NOT NULL"
)

_IMMUTABLE = "documents - an issued document is immutable; correct it with a credit note"
_SQLITE = [
    sqlite_refusal(
        "issued_document_immutable",
        "UPDATE",
        "issued_documents",
        _IMMUTABLE,
        when=f"NOT ({_PDF_FILL} AND {_SQLITE_SAME} AND NEW.content IS OLD.content)",
    ),
    sqlite_refusal("issued_document_undeletable", "DELETE", "issued_documents", _IMMUTABLE),
]

_POSTGRESQL = [
    f"""
CREATE OR REPLACE FUNCTION issued_document_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND {_PDF_FILL} AND {_PG_SAME}
     AND NEW.content::text = OLD.content::text THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'check_violation',
    MESSAGE = '{_IMMUTABLE}';
END
$$
""",
    """
CREATE TRIGGER issued_document_guard BEFORE UPDATE OR DELETE ON issued_documents
FOR EACH ROW EXECUTE FUNCTION issued_document_guard()
""",
]

_TRIGGERS = Triggers("document", {"sqlite": _SQLITE, "postgresql": _POSTGRESQL})
document_trigger_ddl = _TRIGGERS.ddl
document_trigger_drop_ddl = _TRIGGERS.drop_ddl
_TRIGGERS.attach(IssuedDocumentRow.__table__)
