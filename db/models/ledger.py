"""The double-entry ledger's tables (DOMAIN.md §7; rules in domain/ledger/).

The database enforces the ledger's invariant itself, on SQLite and PostgreSQL
alike, with triggers:

* an entry is inserted `open`, its postings are inserted, then it is updated to
  `posted` — refused unless its postings sum to zero and there are at least two;
* a posted entry never changes: updating or deleting it, and inserting,
  updating or deleting its postings, are refused;
* an entry cannot be inserted already `posted`.

Only posted entries count in balances. `ledger_trigger_ddl(dialect)` returns the
same statements for an Alembic migration (db/models/triggers.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime, one_of
from db.models.triggers import Triggers, sqlite_refusal

__all__ = ["JournalEntryRow", "LedgerPosting", "ledger_trigger_ddl", "ledger_trigger_drop_ddl"]

ENTRY_OPEN = "open"
ENTRY_POSTED = "posted"


class JournalEntryRow(Base):
    """One journal entry; `idempotency_key` is derived from its cause."""

    __tablename__ = "journal_entries"
    __table_args__ = (one_of("status", (ENTRY_OPEN, ENTRY_POSTED)),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=ENTRY_OPEN)
    # The cause: a session workflow id, a settlement period, a document number.
    reference: Mapped[str | None] = mapped_column(String(200), index=True)


class LedgerPosting(Base):
    """One line of an entry: debit positive, credit negative, integer cents."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="nonzero"),
        Index("ix_ledger_postings_account_entry", "account", "entry_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(BigInteger)


_POSTED_IMMUTABLE = "ledger - a posted journal entry is immutable"
_POSTINGS_IMMUTABLE = "ledger - postings of a posted journal entry are immutable"
_SQLITE = [
    sqlite_refusal(
        "ledger_entry_insert_open",
        "INSERT",
        "journal_entries",
        "ledger - a journal entry must be inserted open, then posted",
        when="NEW.status <> 'open'",
    ),
    """
CREATE TRIGGER ledger_entry_post_balanced BEFORE UPDATE ON journal_entries
WHEN OLD.status = 'open' AND NEW.status = 'posted'
BEGIN
  SELECT RAISE(ABORT, 'ledger - unbalanced journal entry refused')
  WHERE (SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_postings
         WHERE entry_id = NEW.id) <> 0
     OR (SELECT COUNT(*) FROM ledger_postings WHERE entry_id = NEW.id) < 2;
END
""",
    sqlite_refusal(
        "ledger_entry_posted_immutable",
        "UPDATE",
        "journal_entries",
        _POSTED_IMMUTABLE,
        when="OLD.status = 'posted'",
    ),
    sqlite_refusal(
        "ledger_entry_posted_undeletable",
        "DELETE",
        "journal_entries",
        _POSTED_IMMUTABLE,
        when="OLD.status = 'posted'",
    ),
    sqlite_refusal(
        "ledger_posting_insert",
        "INSERT",
        "ledger_postings",
        _POSTINGS_IMMUTABLE,
        when="(SELECT status FROM journal_entries WHERE id = NEW.entry_id) = 'posted'",
    ),
    sqlite_refusal(
        "ledger_posting_update",
        "UPDATE",
        "ledger_postings",
        _POSTINGS_IMMUTABLE,
        when="(SELECT status FROM journal_entries WHERE id = OLD.entry_id) = 'posted'"
        "\n  OR (SELECT status FROM journal_entries WHERE id = NEW.entry_id) = 'posted'",
    ),
    sqlite_refusal(
        "ledger_posting_delete",
        "DELETE",
        "ledger_postings",
        _POSTINGS_IMMUTABLE,
        when="(SELECT status FROM journal_entries WHERE id = OLD.entry_id) = 'posted'",
    ),
]

# PostgreSQL: errors carry SQLSTATE 23514 (check_violation) so drivers report an
# integrity error on both backends. A posting takes a share lock on its entry, so
# a concurrent "post" of that entry waits for it and then sees it.
_POSTGRESQL = [
    """
CREATE OR REPLACE FUNCTION ledger_entry_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  total bigint;
  lines integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'open' THEN
      RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'ledger - a journal entry must be inserted open, then posted';
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.status = 'posted' THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'ledger - a posted journal entry is immutable (id ' || OLD.id || ')';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF NEW.status = 'posted' THEN
    SELECT COALESCE(SUM(amount_cents), 0), COUNT(*) INTO total, lines
      FROM ledger_postings WHERE entry_id = NEW.id;
    IF total <> 0 OR lines < 2 THEN
      RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'ledger - unbalanced journal entry refused (id ' || NEW.id
          || ', sum ' || total || ', postings ' || lines || ')';
    END IF;
  END IF;
  RETURN NEW;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION ledger_posting_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  entry_status text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT status INTO entry_status FROM journal_entries WHERE id = OLD.entry_id FOR SHARE;
    IF entry_status = 'posted' THEN
      RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'ledger - postings of a posted journal entry are immutable';
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT status INTO entry_status FROM journal_entries WHERE id = NEW.entry_id FOR SHARE;
    IF entry_status = 'posted' THEN
      RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'ledger - postings of a posted journal entry are immutable';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END
$$
""",
    """
CREATE TRIGGER ledger_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON journal_entries
FOR EACH ROW EXECUTE FUNCTION ledger_entry_guard()
""",
    """
CREATE TRIGGER ledger_posting_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_postings
FOR EACH ROW EXECUTE FUNCTION ledger_posting_guard()
""",
]

_TRIGGERS = Triggers("ledger", {"sqlite": _SQLITE, "postgresql": _POSTGRESQL})
ledger_trigger_ddl = _TRIGGERS.ddl
ledger_trigger_drop_ddl = _TRIGGERS.drop_ddl

# Attached to the postings table, created after journal_entries (foreign key order).
_TRIGGERS.attach(LedgerPosting.__table__)
