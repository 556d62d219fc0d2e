"""Which journal entries an issued document posts (DOMAIN.md §7–8), built with
the ledger rules of `domain/ledger.py`. Pure.

Session money (reimbursed energy, roaming sessions, compensations, roaming fees)
is already in the ledger, posted per session by the session workflow; a document
adds only what exists because the document does:

* invoice: the subscriptions with their VAT (reimbursed energy is VAT 0 %);
* roaming invoice: the VAT on the sessions billed to the eMSP;
* payout statement: self-billing VAT for a VAT-registered payee;
* profit-share statement: the subscription kickback and self-billing VAT;
* credit note: the entries of the kind it corrects, from its own (negative)
  lines, so the reversal is proportional to what is credited.

Keys are `<period>:<document key>:<step>`, so re-issuing posts nothing twice.
"""

from __future__ import annotations

from domain.documents import Document, DocumentKind, LineSection
from domain.ledger import (
    JournalEntry,
    partner_kickback_entry,
    payable_org,
    payable_partner,
    receivable_emsp,
    sales_vat_entry,
    self_billing_vat_entry,
    subscription_invoice_entry,
)

__all__ = ["document_entries"]

# The VAT entry of each kind besides the invoice (which posts its VAT with its
# subscriptions): the ledger rule, its account keyword, and the recipient's account.
VAT_ENTRIES = {
    DocumentKind.ROAMING_INVOICE: (sales_vat_entry, "debtor_account", receivable_emsp),
    DocumentKind.PAYOUT_STATEMENT: (self_billing_vat_entry, "payee_account", payable_org),
    DocumentKind.PROFIT_SHARE_STATEMENT: (
        self_billing_vat_entry,
        "payee_account",
        payable_partner,
    ),
}


def document_entries(
    document: Document, *, corrected_kind: DocumentKind | None = None
) -> tuple[JournalEntry, ...]:
    """The entries `document` posts; for a credit note, `corrected_kind` is the
    kind of the document it corrects."""
    kind = document.kind
    if kind is DocumentKind.CREDIT_NOTE:
        if corrected_kind is None or corrected_kind is DocumentKind.CREDIT_NOTE:
            raise ValueError(
                f"credit note {document.key}: the kind of the corrected document is needed"
            )
        kind = corrected_kind
    recipient = _id(document.recipient.id, document.key)
    # Every entry of a document is keyed by its period and key, in its currency.
    where = {"period": document.period, "document": document.key, "currency": document.currency}
    entries: list[JournalEntry | None] = []
    if kind is DocumentKind.INVOICE:
        entries.append(
            subscription_invoice_entry(
                organization_id=recipient,
                net_cents=document.section_cents(LineSection.SUBSCRIPTIONS),
                vat_cents=document.vat_cents,
                **where,
            )
        )
    elif kind is DocumentKind.PROFIT_SHARE_STATEMENT:
        entries.append(
            partner_kickback_entry(
                partner_id=recipient,
                kickback_cents=document.section_cents(LineSection.SUBSCRIPTION_KICKBACK),
                **where,
            )
        )
    if kind in VAT_ENTRIES:
        rule, account_keyword, account = VAT_ENTRIES[kind]
        entries.append(
            rule(vat_cents=document.vat_cents, **where, **{account_keyword: account(recipient)})
        )
    return tuple(e for e in entries if e is not None)


def _id(value: int | None, key: str) -> int:
    if value is None:
        raise ValueError(f"document {key}: the recipient has no id to post against")
    return value
