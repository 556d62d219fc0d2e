"""Journal entries: postings that sum to zero (the ledger's invariant), their
kinds, building them from (account, amount) pairs, reversing them, balances."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.ledger.accounts import ACCOUNT_PATTERN
from domain.ledger.errors import LedgerError

MAX_KEY_LENGTH = 200


class EntryKind(StrEnum):
    SESSION = "session"
    SUBSCRIPTION_INVOICE = "subscription_invoice"
    PARTNER_KICKBACK = "partner_kickback"
    VAT = "vat"
    PAYOUT = "payout"
    COLLECTION = "collection"
    PSP_SETTLEMENT = "psp_settlement"
    REVERSAL = "reversal"
    MANUAL = "manual"


@dataclass(frozen=True)
class Posting:
    """One line of an entry: debit positive, credit negative, integer cents, never zero."""

    account: str
    amount_cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.account, str) or not ACCOUNT_PATTERN.fullmatch(self.account):
            raise LedgerError(f"not an account name: {self.account!r}")
        if not isinstance(self.amount_cents, int) or isinstance(self.amount_cents, bool):
            raise LedgerError(
                f"posting amount must be int cents, not {type(self.amount_cents).__name__}"
            )
        if self.amount_cents == 0:
            raise LedgerError(f"zero posting on {self.account}")


@dataclass(frozen=True)
class JournalEntry:
    """One money event; its postings sum to zero (the ledger's invariant)."""

    idempotency_key: str
    description: str
    postings: tuple[Posting, ...]
    currency: str = "EUR"
    kind: str = EntryKind.MANUAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "postings", tuple(self.postings))
        if not isinstance(self.idempotency_key, str) or not self.idempotency_key.strip():
            raise LedgerError("a journal entry needs an idempotency key")
        if len(self.idempotency_key) > MAX_KEY_LENGTH:
            raise LedgerError(f"idempotency key longer than {MAX_KEY_LENGTH} characters")
        if not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            raise LedgerError(f"not an ISO 4217 currency code: {self.currency!r}")
        if not all(isinstance(p, Posting) for p in self.postings):
            raise LedgerError("postings must be Posting instances")
        if len(self.postings) < 2:
            raise LedgerError(f"{self.idempotency_key}: an entry needs at least two postings")
        total = sum(p.amount_cents for p in self.postings)
        if total != 0:
            raise LedgerError(f"{self.idempotency_key}: postings sum to {total}, not zero")

    def same_postings(self, other: JournalEntry) -> bool:
        """Same money movement (order of postings aside) — what a retry must repeat."""
        return self.currency == other.currency and _canonical(self.postings) == _canonical(
            other.postings
        )


def build_entry(
    idempotency_key: str,
    description: str,
    postings: Iterable[tuple[str, int]],
    *,
    kind: str = EntryKind.MANUAL,
    currency: str = "EUR",
) -> JournalEntry | None:
    """An entry from (account, amount) pairs, leaving out zero amounts; None when
    nothing is left (no money moved)."""
    lines = tuple(Posting(account, amount) for account, amount in postings if amount != 0)
    if not lines:
        return None
    return JournalEntry(idempotency_key, description, lines, currency=currency, kind=kind)


def reversal_entry(original: JournalEntry, *, reason: str) -> JournalEntry:
    """The exact opposite of a posted entry (posted entries never change;
    corrections are new entries). Key: `<original key>:reversal`."""
    return JournalEntry(
        f"{original.idempotency_key}:reversal",
        f"reversal of {original.idempotency_key}: {reason}",
        tuple(Posting(p.account, -p.amount_cents) for p in original.postings),
        currency=original.currency,
        kind=EntryKind.REVERSAL,
    )


def balances(entries: Iterable[JournalEntry]) -> dict[str, int]:
    """The trial balance of some entries, per account (pure counterpart of the DB's)."""
    result: dict[str, int] = {}
    for entry in entries:
        for posting in entry.postings:
            result[posting.account] = result.get(posting.account, 0) + posting.amount_cents
    return dict(sorted(result.items()))


def _canonical(postings: Iterable[Posting]) -> list[tuple[str, int]]:
    return sorted((p.account, p.amount_cents) for p in postings)
