"""Ledger entries of the monthly documents (DOMAIN.md §6–§8): subscription
invoices, partner kickbacks, VAT per document, payouts, collections and the
payment provider's settlement. Keys: `<period>:<document>:<step>`."""

from __future__ import annotations

import re

from domain.ledger.accounts import (
    CASH_BANK,
    CLEARING_PSP,
    EXPENSE_PARTNER_KICKBACK,
    EXPENSE_PSP_FEES,
    LIABILITY_VAT,
    REVENUE_SUBSCRIPTIONS,
    _require_prefix,
    payable_partner,
    receivable_org,
)
from domain.ledger.entries import EntryKind, JournalEntry, build_entry
from domain.ledger.errors import LedgerError

PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def document_key(period: str, document: str, step: str) -> str:
    """`<period>:<document>:<step>`, e.g. `2026-10:invoice:org:12:subscriptions`."""
    if not isinstance(period, str) or not PERIOD_PATTERN.fullmatch(period):
        raise LedgerError(f"period must be YYYY-MM, not {period!r}")
    if not document:
        raise LedgerError("a document reference is required")
    return f"{period}:{document}:{step}"


def _entry(kind, step, label, period, document, postings, currency) -> JournalEntry | None:
    """A document's entry: keyed `<period>:<document>:<step>`, described by label."""
    key = document_key(period, document, step)
    return build_entry(key, f"{label} {period}, {document}", postings, kind=kind, currency=currency)


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
    postings = [
        (receivable_org(organization_id), net_cents + vat_cents),
        (REVENUE_SUBSCRIPTIONS, -net_cents),
        (LIABILITY_VAT, -vat_cents),
    ]
    return _entry(
        EntryKind.SUBSCRIPTION_INVOICE, "subscriptions", "subscriptions",
        period, document, postings, currency,
    )


def partner_kickback_entry(
    *, period: str, document: str, partner_id: int, kickback_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """The partner's share of its customers' subscriptions (DOMAIN.md §6)."""
    postings = [
        (EXPENSE_PARTNER_KICKBACK, kickback_cents),
        (payable_partner(partner_id), -kickback_cents),
    ]
    return _entry(
        EntryKind.PARTNER_KICKBACK, "kickback", "subscription kickback",
        period, document, postings, currency,
    )


def sales_vat_entry(
    *, period: str, document: str, debtor_account: str, vat_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """Output VAT on a document the platform issues (e.g. the roaming statement
    to an eMSP): Dr the debtor's receivable, Cr liability:vat."""
    _require_prefix(debtor_account, "receivable:")
    postings = [(debtor_account, vat_cents), (LIABILITY_VAT, -vat_cents)]
    return _entry(EntryKind.VAT, "vat", "VAT", period, document, postings, currency)


def self_billing_vat_entry(
    *, period: str, document: str, payee_account: str, vat_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """Input VAT on a self-billing statement to a VAT-registered payee: the platform
    pays it to the payee and reclaims it: Dr liability:vat, Cr the payee's payable."""
    _require_prefix(payee_account, "payable:")
    postings = [(LIABILITY_VAT, vat_cents), (payee_account, -vat_cents)]
    return _entry(EntryKind.VAT, "vat", "VAT", period, document, postings, currency)


def payout_entry(
    *, period: str, document: str, payee_account: str, amount_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """Money paid to a payee's bank account: Dr payable, Cr cash:bank."""
    _require_prefix(payee_account, "payable:")
    postings = [(payee_account, amount_cents), (CASH_BANK, -amount_cents)]
    return _entry(EntryKind.PAYOUT, "payout", "payout", period, document, postings, currency)


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
    to = CLEARING_PSP if via_psp else CASH_BANK
    postings = [(to, amount_cents), (debtor_account, -amount_cents)]
    return _entry(
        EntryKind.COLLECTION, "collection", "collection",
        period, document, postings, currency,
    )


def psp_settlement_entry(
    *, period: str, document: str, gross_cents: int, fee_cents: int, currency: str = "EUR"
) -> JournalEntry | None:
    """The payment provider pays out its clearing balance minus its fees."""
    postings = [
        (CASH_BANK, gross_cents - fee_cents),
        (EXPENSE_PSP_FEES, fee_cents),
        (CLEARING_PSP, -gross_cents),
    ]
    return _entry(
        EntryKind.PSP_SETTLEMENT, "psp-settlement", "payment provider settlement",
        period, document, postings, currency,
    )
