"""Double-entry ledger rules (DOMAIN.md §7).

Design overview
---------------
* Every money event is one `JournalEntry`: two or more `Posting`s on named
  accounts, in one currency, whose amounts **sum to exactly zero**. That is the
  invariant; `JournalEntry` refuses to exist without it, and the database
  refuses to post an entry without it too (`db/models/ledger.py`).
* Sign convention: amounts are integer cents, **debit positive, credit
  negative**. Asset accounts (receivables, cash, PSP clearing) and expenses
  therefore carry positive balances; liabilities (payables, VAT) and revenue
  carry negative balances. The trial balance of the whole ledger sums to zero.
* Every entry has an idempotency key derived from its cause: the session
  workflow id plus the step (`session:<ocpp>:<tx>:ledger`), or the period plus
  the document (`2026-10:<document>:<step>`). Posting a key twice is a no-op.
* Builders here are pure (no I/O, no clock) so workflows can call them; storing
  entries is `db/ledger.py`.

Decisions where DOMAIN.md is silent:

* Session entries are excl. VAT; VAT is posted per document (`sales_vat_entry`,
  `self_billing_vat_entry`). Input VAT on self-billing statements is a debit on
  the same `liability:vat` account, so its balance is the VAT payable.
* A roaming fee for a customer without a partner (the platform default fee)
  stays with the platform on `revenue:roaming_fees`, apart from
  `revenue:roaming_margin`, so the margin account equals the sessions' margins.
* Kickbacks are an expense (`expense:partner_kickback`), not a reduction of
  `revenue:subscriptions`, so subscription revenue matches the invoices.
* Zero-amount postings are not written; an event that moves no money has no entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.enums import Category
from domain.errors import Invalid
from domain.split import SessionSplit

ACCOUNT_PATTERN = re.compile(r"[a-z_]+(:[A-Za-z0-9_.\-]+)+")
PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MAX_KEY_LENGTH = 200

REVENUE_SUBSCRIPTIONS = "revenue:subscriptions"
REVENUE_ROAMING_MARGIN = "revenue:roaming_margin"
REVENUE_ROAMING_FEES = "revenue:roaming_fees"  # default roaming fee, customers without partner
EXPENSE_PARTNER_KICKBACK = "expense:partner_kickback"
EXPENSE_PSP_FEES = "expense:psp_fees"
LIABILITY_VAT = "liability:vat"
CASH_BANK = "cash:bank"
CLEARING_PSP = "clearing:psp"


class LedgerError(Invalid):
    """A journal entry that must not exist (unbalanced, malformed)."""

    code = "ledger.invalid"


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


def receivable_org(organization_id: int) -> str:
    return f"receivable:org:{_id(organization_id)}"


def receivable_emsp(emsp_id: int) -> str:
    return f"receivable:emsp:{_id(emsp_id)}"


def payable_org(organization_id: int) -> str:
    return f"payable:org:{_id(organization_id)}"


def payable_partner(partner_id: int) -> str:
    return f"payable:partner:{_id(partner_id)}"


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


def session_entry(
    workflow_id: str,
    split: SessionSplit,
    owner_org_id: int,
    main_org_id: int,
    employee_org_id: int,
    partner_id: int | None,
    emsp_id: int | None,
    *,
    currency: str = "EUR",
) -> JournalEntry | None:
    """The ledger entry of a settled session (DOMAIN.md §5); None for free and
    rejected sessions. Key: `<workflow id>:ledger`.

    Roaming: Dr receivable:emsp, Cr payable:org (owner), Cr payable:partner (or
    revenue:roaming_fees without partner), Cr revenue:roaming_margin (a negative
    margin is a debit). Reimbursed: Dr receivable:org (main), Cr payable:org (employee).
    """
    key = f"{workflow_id}:ledger"
    if split.category is Category.ROAMING:
        if emsp_id is None:
            raise LedgerError(f"{key}: a roaming session needs the eMSP to bill")
        fee_account = REVENUE_ROAMING_FEES if partner_id is None else payable_partner(partner_id)
        return build_entry(
            key,
            f"roaming session {workflow_id}",
            [
                (receivable_emsp(emsp_id), split.emsp_billed_cents),
                (payable_org(owner_org_id), -split.owner_compensation_cents),
                (fee_account, -split.partner_fee_cents),
                (REVENUE_ROAMING_MARGIN, -split.platform_margin_cents),
            ],
            kind=EntryKind.SESSION,
            currency=currency,
        )
    if split.category is Category.REIMBURSED:
        if split.main_org_invoiced_cents != split.employee_payout_cents:
            raise LedgerError(f"{key}: reimbursement must pass through unchanged")
        return build_entry(
            key,
            f"reimbursed session {workflow_id}",
            [
                (receivable_org(main_org_id), split.main_org_invoiced_cents),
                (payable_org(employee_org_id), -split.employee_payout_cents),
            ],
            kind=EntryKind.SESSION,
            currency=currency,
        )
    return None


def document_key(period: str, document: str, step: str) -> str:
    """`<period>:<document>:<step>`, e.g. `2026-10:invoice:org:12:subscriptions`."""
    if not isinstance(period, str) or not PERIOD_PATTERN.fullmatch(period):
        raise LedgerError(f"period must be YYYY-MM, not {period!r}")
    if not document:
        raise LedgerError("a document reference is required")
    return f"{period}:{document}:{step}"


def subscription_invoice_entry(
    *,
    period: str,
    document: str,
    organization_id: int,
    net_cents: int,
    vat_cents: int,
    currency: str = "EUR",
) -> JournalEntry | None:
    """Subscriptions invoiced to a main organization: Dr receivable:org net+VAT,
    Cr revenue:subscriptions net, Cr liability:vat VAT."""
    return build_entry(
        document_key(period, document, "subscriptions"),
        f"subscriptions {period}, {document}",
        [
            (receivable_org(organization_id), net_cents + vat_cents),
            (REVENUE_SUBSCRIPTIONS, -net_cents),
            (LIABILITY_VAT, -vat_cents),
        ],
        kind=EntryKind.SUBSCRIPTION_INVOICE,
        currency=currency,
    )


def partner_kickback_entry(
    *, period: str, document: str, partner_id: int, kickback_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """The partner's share of its customers' subscriptions (DOMAIN.md §6)."""
    return build_entry(
        document_key(period, document, "kickback"),
        f"subscription kickback {period}, {document}",
        [
            (EXPENSE_PARTNER_KICKBACK, kickback_cents),
            (payable_partner(partner_id), -kickback_cents),
        ],
        kind=EntryKind.PARTNER_KICKBACK,
        currency=currency,
    )


def sales_vat_entry(
    *, period: str, document: str, debtor_account: str, vat_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """Output VAT on a document the platform issues (e.g. the roaming statement
    to an eMSP): Dr the debtor's receivable, Cr liability:vat."""
    _require_prefix(debtor_account, "receivable:")
    return build_entry(
        document_key(period, document, "vat"),
        f"VAT {period}, {document}",
        [(debtor_account, vat_cents), (LIABILITY_VAT, -vat_cents)],
        kind=EntryKind.VAT,
        currency=currency,
    )


def self_billing_vat_entry(
    *, period: str, document: str, payee_account: str, vat_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """Input VAT on a self-billing statement to a VAT-registered payee: the platform
    pays it to the payee and reclaims it: Dr liability:vat, Cr the payee's payable."""
    _require_prefix(payee_account, "payable:")
    return build_entry(
        document_key(period, document, "vat"),
        f"VAT {period}, {document}",
        [(LIABILITY_VAT, vat_cents), (payee_account, -vat_cents)],
        kind=EntryKind.VAT,
        currency=currency,
    )


def payout_entry(
    *, period: str, document: str, payee_account: str, amount_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """Money paid to a payee's bank account: Dr payable, Cr cash:bank."""
    _require_prefix(payee_account, "payable:")
    return build_entry(
        document_key(period, document, "payout"),
        f"payout {period}, {document}",
        [(payee_account, amount_cents), (CASH_BANK, -amount_cents)],
        kind=EntryKind.PAYOUT,
        currency=currency,
    )


def collection_entry(
    *,
    period: str,
    document: str,
    debtor_account: str,
    amount_cents: int,
    via_psp: bool = False,
    currency: str = "EUR",
) -> JournalEntry | None:
    """Money collected from a debtor: Dr cash:bank (direct debit, transfer) or
    clearing:psp (payment provider), Cr the receivable."""
    _require_prefix(debtor_account, "receivable:")
    return build_entry(
        document_key(period, document, "collection"),
        f"collection {period}, {document}",
        [(CLEARING_PSP if via_psp else CASH_BANK, amount_cents), (debtor_account, -amount_cents)],
        kind=EntryKind.COLLECTION,
        currency=currency,
    )


def psp_settlement_entry(
    *, period: str, document: str, gross_cents: int, fee_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """The payment provider pays out its clearing balance minus its fees."""
    return build_entry(
        document_key(period, document, "psp-settlement"),
        f"payment provider settlement {period}, {document}",
        [
            (CASH_BANK, gross_cents - fee_cents),
            (EXPENSE_PSP_FEES, fee_cents),
            (CLEARING_PSP, -gross_cents),
        ],
        kind=EntryKind.PSP_SETTLEMENT,
        currency=currency,
    )


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


def _require_prefix(account: str, prefix: str) -> None:
    if not account.startswith(prefix):
        raise LedgerError(f"expected a {prefix}… account, not {account!r}")


def _id(value: int | str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value) == "":
        raise LedgerError(f"not an account id: {value!r}")
    return str(value)
