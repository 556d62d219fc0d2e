"""Storing and reading the ledger (rules in domain/ledger/, tables and the
database-side invariant in db/models/ledger.py).

`post_entry` is idempotent on the entry's key and safe under concurrency: the
entry is inserted inside a SAVEPOINT, and a unique violation on the key means
another attempt (a retry, a replay, a second process) already posted it. A
duplicate key with *different* postings is a bug, not a retry, and raises
`IdempotencyConflict`. Callers own the transaction: they commit.

Balances count posted entries only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.base import begin_immediate, utcnow
from db.models.ledger import ENTRY_OPEN, ENTRY_POSTED, JournalEntryRow, LedgerPosting
from domain.errors import Conflict
from domain.ledger import JournalEntry, LedgerError, Posting

__all__ = [
    "IdempotencyConflict",
    "PostResult",
    "StoredEntry",
    "account_balance",
    "entries_for_reference",
    "get_entry",
    "post_entry",
    "trial_balance",
]

logger = logging.getLogger(__name__)


class IdempotencyConflict(LedgerError, Conflict):
    """The key is already posted with a different money movement."""

    code = "ledger.idempotency_conflict"


@dataclass(frozen=True)
class PostResult:
    created: bool
    entry_id: int


@dataclass(frozen=True)
class StoredEntry:
    entry_id: int
    entry: JournalEntry
    occurred_at: datetime
    posted_at: datetime | None
    reference: str | None


def post_entry(
    db: Session,
    entry: JournalEntry,
    *,
    occurred_at: datetime,
    reference: str | None = None,
) -> PostResult:
    """Post `entry` once. A second call with the same key returns the first
    entry (`created=False`); the caller commits the surrounding transaction."""
    if not isinstance(entry, JournalEntry):
        raise TypeError(f"expected a JournalEntry, not {type(entry).__name__}")
    _begin_sqlite_transaction(db)
    try:
        with db.begin_nested():
            entry_id = _insert(db, entry, occurred_at=occurred_at, reference=reference)
    except IntegrityError:
        existing = get_entry(db, entry.idempotency_key)
        if existing is None:
            raise  # not a duplicate key: a genuine integrity error
        if not existing.entry.same_postings(entry):
            raise IdempotencyConflict(
                f"ledger key {entry.idempotency_key!r} is already posted with different postings: "
                f"{_describe(existing.entry)} vs {_describe(entry)}"
            ) from None
        logger.debug(
            "ledger entry %s already posted as #%s", entry.idempotency_key, existing.entry_id
        )
        return PostResult(created=False, entry_id=existing.entry_id)
    logger.info("posted ledger entry %s as #%s", entry.idempotency_key, entry_id)
    return PostResult(created=True, entry_id=entry_id)


def _begin_sqlite_transaction(db: Session) -> None:
    """pysqlite (legacy transaction control) emits no BEGIN before a SAVEPOINT, so
    SQLite would start the transaction *with* the savepoint and RELEASE would
    commit it: the caller could no longer roll back. Begin it explicitly, and
    IMMEDIATE: take the write lock now (waiting up to busy_timeout) instead of
    failing on a stale read snapshot when two processes post at once."""
    connection = db.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        begin_immediate(connection)


def _insert(db: Session, entry: JournalEntry, *, occurred_at, reference) -> int:
    # open → postings → posted: the database checks the balance on the last step.
    entry_id = db.execute(
        insert(JournalEntryRow)
        .values(
            idempotency_key=entry.idempotency_key,
            kind=str(entry.kind),
            description=entry.description[:500],
            currency=entry.currency,
            occurred_at=occurred_at,
            status=ENTRY_OPEN,
            reference=reference,
        )
        .returning(JournalEntryRow.id)
    ).scalar_one()
    db.execute(
        insert(LedgerPosting),
        [
            {"entry_id": entry_id, "account": p.account, "amount_cents": p.amount_cents}
            for p in entry.postings
        ],
    )
    db.execute(
        update(JournalEntryRow)
        .where(JournalEntryRow.id == entry_id)
        .values(status=ENTRY_POSTED, posted_at=utcnow())
    )
    return entry_id


def get_entry(db: Session, idempotency_key: str) -> StoredEntry | None:
    row = db.execute(
        select(JournalEntryRow).where(JournalEntryRow.idempotency_key == idempotency_key)
    ).scalar_one_or_none()
    return None if row is None else _stored(db, row)


def entries_for_reference(db: Session, reference: str) -> list[StoredEntry]:
    """The posted entries caused by one reference (a session workflow, a document)."""
    rows = db.execute(
        select(JournalEntryRow)
        .where(JournalEntryRow.reference == reference, JournalEntryRow.status == ENTRY_POSTED)
        .order_by(JournalEntryRow.id)
    ).scalars()
    return [_stored(db, row) for row in rows]


def account_balance(db: Session, account: str, *, currency: str = "EUR") -> int:
    """Debits minus credits on `account` over posted entries, in cents."""
    total = db.execute(
        select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0))
        .join(JournalEntryRow, JournalEntryRow.id == LedgerPosting.entry_id)
        .where(
            LedgerPosting.account == account,
            JournalEntryRow.status == ENTRY_POSTED,
            JournalEntryRow.currency == currency,
        )
    ).scalar_one()
    return int(total)


def trial_balance(db: Session, *, currency: str = "EUR") -> dict[str, int]:
    """Every account's balance over posted entries, by account name; sums to zero."""
    rows = db.execute(
        select(LedgerPosting.account, func.sum(LedgerPosting.amount_cents))
        .join(JournalEntryRow, JournalEntryRow.id == LedgerPosting.entry_id)
        .where(JournalEntryRow.status == ENTRY_POSTED, JournalEntryRow.currency == currency)
        .group_by(LedgerPosting.account)
        .order_by(LedgerPosting.account)
    ).all()
    return {account: int(total) for account, total in rows}


def _stored(db: Session, row: JournalEntryRow) -> StoredEntry:
    postings = db.execute(
        select(LedgerPosting.account, LedgerPosting.amount_cents)
        .where(LedgerPosting.entry_id == row.id)
        .order_by(LedgerPosting.id)
    ).all()
    entry = JournalEntry(
        row.idempotency_key,
        row.description,
        tuple(Posting(account, int(amount)) for account, amount in postings),
        currency=row.currency,
        kind=row.kind,
    )
    return StoredEntry(row.id, entry, row.occurred_at, row.posted_at, row.reference)


def _describe(entry: JournalEntry) -> str:
    return ", ".join(f"{p.account} {p.amount_cents:+d}" for p in entry.postings)
