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
  workflow id plus the step (`session:<installation>:<ocpp>:<tx>:ledger`), or the period plus
  the document (`2026-10:<document>:<step>`). Posting a key twice is a no-op.
* Builders here are pure (no I/O, no clock) so workflows can call them; storing
  entries is `db/ledger.py`.
* The package: `accounts` (account names), `entries` (postings, journal entries,
  reversals, balances), `session_entries` (a settled session),
  `document_entries` (monthly documents, payouts, collections). Everything is
  re-exported here: `from domain.ledger import X` is the import path.

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

from domain.ledger.accounts import (
    ACCOUNT_PATTERN,
    CASH_BANK,
    CLEARING_PSP,
    EXPENSE_PARTNER_KICKBACK,
    EXPENSE_PSP_FEES,
    LIABILITY_VAT,
    REVENUE_ROAMING_FEES,
    REVENUE_ROAMING_MARGIN,
    REVENUE_SUBSCRIPTIONS,
    payable_org,
    payable_partner,
    receivable_emsp,
    receivable_org,
)
from domain.ledger.document_entries import (
    PERIOD_PATTERN,
    collection_entry,
    document_key,
    partner_kickback_entry,
    payout_entry,
    psp_settlement_entry,
    sales_vat_entry,
    self_billing_vat_entry,
    subscription_invoice_entry,
)
from domain.ledger.entries import (
    MAX_KEY_LENGTH,
    EntryKind,
    JournalEntry,
    Posting,
    balances,
    build_entry,
    reversal_entry,
)
from domain.ledger.errors import LedgerError
from domain.ledger.session_entries import session_entry

__all__ = [
    "ACCOUNT_PATTERN",
    "CASH_BANK",
    "CLEARING_PSP",
    "EXPENSE_PARTNER_KICKBACK",
    "EXPENSE_PSP_FEES",
    "EntryKind",
    "JournalEntry",
    "LIABILITY_VAT",
    "LedgerError",
    "MAX_KEY_LENGTH",
    "PERIOD_PATTERN",
    "Posting",
    "REVENUE_ROAMING_FEES",
    "REVENUE_ROAMING_MARGIN",
    "REVENUE_SUBSCRIPTIONS",
    "balances",
    "build_entry",
    "collection_entry",
    "document_key",
    "partner_kickback_entry",
    "payable_org",
    "payable_partner",
    "payout_entry",
    "psp_settlement_entry",
    "receivable_emsp",
    "receivable_org",
    "reversal_entry",
    "sales_vat_entry",
    "self_billing_vat_entry",
    "session_entry",
    "subscription_invoice_entry",
]
