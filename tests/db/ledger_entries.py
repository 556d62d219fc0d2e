"""A sample journal entry and an entry count for the ledger database tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from db.models.ledger import JournalEntryRow
from domain.ledger import JournalEntry, Posting

OCT = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)


def entry(key: str, amount: int = 971, currency: str = "EUR") -> JournalEntry:
    return JournalEntry(
        key,
        f"roaming session {key}",
        (
            Posting("receivable:emsp:9", amount),
            Posting("payable:org:1", -720),
            Posting("revenue:roaming_margin", -(amount - 720)),
        ),
        currency=currency,
    )


def entry_count(session) -> int:
    return session.execute(select(func.count()).select_from(JournalEntryRow)).scalar_one()
