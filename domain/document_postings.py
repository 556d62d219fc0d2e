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
    period, key, currency = document.period, document.key, document.currency
    recipient = document.recipient
    vat = document.vat_cents
    entries: list[JournalEntry | None] = []
    if kind is DocumentKind.INVOICE:
        entries.append(
            subscription_invoice_entry(
                period=period,
                document=key,
                organization_id=_id(recipient.id, key),
                net_cents=document.section_cents(LineSection.SUBSCRIPTIONS),
                vat_cents=vat,
                currency=currency,
            )
        )
    elif kind is DocumentKind.ROAMING_INVOICE:
        entries.append(
            sales_vat_entry(
                period=period,
                document=key,
                debtor_account=receivable_emsp(_id(recipient.id, key)),
                vat_cents=vat,
                currency=currency,
            )
        )
    elif kind is DocumentKind.PAYOUT_STATEMENT:
        entries.append(
            self_billing_vat_entry(
                period=period,
                document=key,
                payee_account=payable_org(_id(recipient.id, key)),
                vat_cents=vat,
                currency=currency,
            )
        )
    elif kind is DocumentKind.PROFIT_SHARE_STATEMENT:
        partner = _id(recipient.id, key)
        entries.append(
            partner_kickback_entry(
                period=period,
                document=key,
                partner_id=partner,
                kickback_cents=document.section_cents(LineSection.SUBSCRIPTION_KICKBACK),
                currency=currency,
            )
        )
        entries.append(
            self_billing_vat_entry(
                period=period,
                document=key,
                payee_account=payable_partner(partner),
                vat_cents=vat,
                currency=currency,
            )
        )
    return tuple(e for e in entries if e is not None)


def _id(value: int | None, key: str) -> int:
    if value is None:
        raise ValueError(f"document {key}: the recipient has no id to post against")
    return value
