"""What the mail of each issued document says: subject, a sentence on what it
is, and its key figures (the PDF attached is the document itself)."""

from __future__ import annotations

from datetime import date

from domain.documents import DocumentKind, IssuedDocument
from domain.money import format_cents
from mail.compose import DocumentMail

__all__ = ["document_mail", "period_name"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

_WHAT = {
    DocumentKind.INVOICE: "invoice",
    DocumentKind.ROAMING_INVOICE: "roaming invoice",
    DocumentKind.PAYOUT_STATEMENT: "payout statement",
    DocumentKind.PROFIT_SHARE_STATEMENT: "profit-share statement",
    DocumentKind.CREDIT_NOTE: "credit note",
}


def period_name(period: str) -> str:
    year, month = period.split("-")
    return f"{_MONTHS[int(month) - 1]} {year}"


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else "—"


def document_mail(issued: IssuedDocument) -> DocumentMail:
    doc = issued.document
    what = _WHAT[doc.kind]
    month = period_name(doc.period)
    total = format_cents(doc.total_cents, doc.currency)
    facts: list[tuple[str, str]] = [("Document", issued.number), ("Period", month),
                                    ("Issued", _day(issued.issue_date))]
    if doc.kind is DocumentKind.INVOICE:
        intro = (f"attached is your invoice for {month}: the subscriptions of your charging "
                 "points and the charging costs your employees were reimbursed.")
        facts += [("Due", _day(issued.due_date)), ("Amount due", total)]
        closing = "Please pay by the due date; with a direct debit mandate we collect it for you."
        if doc.recipient.pays_by_direct_debit and doc.total_cents > 0:
            facts[-2] = ("Collected on or after", _day(issued.due_date))
            closing = (f"We collect it by SEPA direct debit under mandate "
                       f"{doc.recipient.sepa_mandate_id}; no action is needed.")
    elif doc.kind is DocumentKind.ROAMING_INVOICE:
        intro = (f"attached is our invoice for the charging sessions of your customers on our "
                 f"charging points in {month}, one line per session (CDR).")
        facts += [("Due", _day(issued.due_date)), ("Amount due", total)]
        closing = "Please pay by the due date, quoting the document number."
    elif doc.kind is DocumentKind.PAYOUT_STATEMENT:
        intro = f"attached is your payout statement for {month}."
        facts += [("Paid on or about", _day(issued.due_date)), ("We pay you", total)]
        closing = "The amount is transferred to your bank account; no action is needed."
    elif doc.kind is DocumentKind.PROFIT_SHARE_STATEMENT:
        intro = (f"attached is your profit-share statement for {month}: the roaming fees and "
                 "the subscription kickback of your customers.")
        facts += [("Paid on or about", _day(issued.due_date)), ("We pay you", total)]
        closing = "The amount is transferred to your bank account; no action is needed."
    else:
        intro = (f"attached is a credit note correcting {doc.corrects_number}; it replaces "
                 "the corrected amounts, and the difference is settled with your next payment.")
        facts += [("Corrects", doc.corrects_number or "—"), ("Amount", total)]
        closing = "No action is needed."
    title = what[0].upper() + what[1:]
    return DocumentMail(
        recipient=doc.recipient.name,
        subject=f"{title} {issued.number} – {month}",
        heading=f"Your {what} for {month}",
        intro=intro[0].upper() + intro[1:],
        facts=tuple(facts),
        closing=closing,
        attachment_name=f"{issued.number}.pdf",
    )
