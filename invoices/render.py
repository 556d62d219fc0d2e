"""Printing an issued document to PDF: Jinja2 templates (one per kind, sharing
`base.html`) rendered by WeasyPrint.

`render_pdf` is a pure function of its input: no clock, no database, no
network, no settings. The same `IssuedDocument` gives the same bytes, so a
retried render activity stores the same file, and it is safe to run in a
process pool (each process builds its own Jinja environment once).

Resources never come from the network: `LocalOnlyFetcher` serves `data:` URIs
and files under `invoices/static/` and refuses everything else. A branding
logo is either `static:logos/<slug>.svg` or a `data:` URI; any other
`logo_url` is skipped with a log line and the partner's name is printed instead.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from domain.documents import (
    Direction,
    Document,
    DocumentKind,
    DocumentLine,
    IssuedDocument,
    LineSection,
    Party,
)
from invoices import formatting as fmt

__all__ = ["LocalOnlyFetcher", "STATIC_DIR", "TEMPLATE_DIR", "document_context", "render_html",
           "render_pdf"]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

# Colours go into CSS, where HTML autoescaping does not protect: only hex colours pass.
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_DEFAULT_PRIMARY = "#0b6e4f"
_DEFAULT_SECONDARY = "#f2f2f2"

# Sections whose VAT 0 % lines are money passed through to a private person.
_PASS_THROUGH = {LineSection.REIMBURSED_ENERGY, LineSection.REIMBURSEMENT}


class LocalOnlyFetcher(URLFetcher):
    """Serves `data:` URIs and files under `invoices/static/`; refuses the rest
    (WeasyPrint then skips the resource), so rendering never touches the network."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)  # urllib's DataHandler: decoded in memory
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_relative_to(STATIC_DIR) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        log.warning("document resource %s refused: only data: URIs and invoices/static/", url)
        raise ValueError(f"resource not allowed in documents: {url}")


def render_pdf(issued: IssuedDocument, *, locale: str = "nl_NL") -> bytes:
    """The PDF of an issued document, formatted for `locale`."""
    html = render_html(issued, locale=locale)
    return HTML(
        string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=LocalOnlyFetcher()
    ).write_pdf()


def render_html(issued: IssuedDocument, *, locale: str = "nl_NL") -> str:
    """The HTML the PDF is printed from (also handy to inspect a layout)."""
    template = _environment().get_template(f"{issued.document.kind}.html")
    return template.render(**document_context(issued, locale=locale))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    return env


def css_string(value: str) -> Markup:
    """Text for a CSS string inside <style> (page footer): HTML escaping does not
    apply in a style element, so every character but letters, digits and spaces
    becomes a CSS hex escape (`&` → `\\26 `); nothing can close the string or tag."""
    return Markup("".join(
        ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} " for ch in str(value)
    ))


def document_context(issued: IssuedDocument, *, locale: str) -> dict[str, Any]:
    """Everything a template prints, already formatted: templates hold no logic
    beyond loops and conditions."""
    doc = issued.document
    labels = fmt.labels_for(locale)
    money = _money(doc, locale)
    paid_by_us = doc.direction is Direction.PAID_BY_PLATFORM
    self_billing = paid_by_us and doc.recipient.vat_registered
    debited = _collected_by_direct_debit(doc)
    return {
        "lang": "nl" if locale.lower().startswith("nl") else "en",
        "L": labels,
        "title": _title(doc, self_billing, labels),
        "number": issued.number,
        "corrects_number": doc.corrects_number or "",
        "running_head": f"{_title(doc, self_billing, labels)} {issued.number}",
        "branding": _branding(doc),
        "footer": " · ".join(
            part for part in (
                f"{labels['questions']} {doc.branding.name}",
                doc.branding.support_email,
                doc.branding.support_phone,
            ) if part
        ),
        "issuer": _party(doc.issuer),
        "recipient": _party(doc.recipient, masked=debited),
        "meta": _meta(issued, paid_by_us, debited, labels, locale),
        "sections": _sections(doc, labels, locale),
        "net": money(doc.net_cents),
        "vat_rows": [
            labels["vat_on"].format(
                rate=fmt.format_rate(v.rate, locale=locale), net=money(v.net_cents)
            )
            for v in doc.vat_summary
        ],
        "vat_amounts": [money(v.vat_cents) for v in doc.vat_summary],
        "total_label": _total_label(doc, paid_by_us, labels),
        "total": money(doc.total_cents),
        "payment": _payment_text(issued, paid_by_us, debited, labels, locale),
        "notes": _notes(doc, self_billing, labels),
    }


def _money(doc: Document, locale: str):
    return lambda cents: fmt.format_money(cents, doc.currency, locale=locale)


def _title(doc: Document, self_billing: bool, labels: fmt.Labels) -> str:
    if self_billing and doc.kind in (
        DocumentKind.PAYOUT_STATEMENT, DocumentKind.PROFIT_SHARE_STATEMENT
    ):
        return labels[doc.kind.value.replace("_statement", "_self_billing")]
    return labels[doc.kind.value]


def _branding(doc: Document) -> dict[str, Any]:
    b = doc.branding
    return {
        "name": b.name,
        "primary": b.primary_color if _HEX_COLOR.match(b.primary_color) else _DEFAULT_PRIMARY,
        "secondary": (
            b.secondary_color if _HEX_COLOR.match(b.secondary_color) else _DEFAULT_SECONDARY
        ),
        "logo_src": _logo_src(b.logo_url, b.name),
        "support_email": b.support_email,
        "support_phone": b.support_phone,
    }


def _logo_src(logo_url: str | None, brand: str) -> str | None:
    """`static:logos/x.svg` → a file URL under invoices/static/; `data:` as is;
    anything else (http, file paths) is skipped: documents never fetch."""
    if not logo_url:
        return None
    if logo_url.startswith("data:"):
        return logo_url
    if logo_url.startswith("static:"):
        path = (STATIC_DIR / logo_url.removeprefix("static:")).resolve()
        if path.is_relative_to(STATIC_DIR) and path.is_file():
            return path.as_uri()
    log.warning("logo %r of %s skipped: only static: and data: logos are printed",
                logo_url, brand)
    return None


def _collected_by_direct_debit(doc: Document) -> bool:
    """A claim of the platform on a recipient with a direct-debit mandate: the
    platform collects it (pain.008) instead of asking for a transfer."""
    return (doc.direction is Direction.DUE_TO_PLATFORM and doc.recipient.pays_by_direct_debit
            and doc.total_cents > 0)


def _party(party: Party, *, masked: bool = False) -> dict[str, Any]:
    return {
        "name": party.name,
        "address_lines": [line for line in party.address.split("\n") if line.strip()],
        "country": party.country,
        "vat_id": party.vat_id,
        "iban": fmt.mask_iban(party.iban) if masked and party.iban else party.iban,
        "email": party.email,
    }


def _meta(issued: IssuedDocument, paid_by_us: bool, debited: bool, labels: fmt.Labels,
          locale: str) -> list[tuple[str, str]]:
    doc = issued.document
    rows = [
        (labels["number"], issued.number),
        (labels["issue_date"], fmt.format_day(issued.issue_date, locale=locale)),
        (labels["period"], fmt.format_period(doc.period, locale=locale)),
    ]
    if issued.due_date is not None:
        label = labels["payment_date"] if paid_by_us else labels["due_date"]
        if debited:
            label = labels["collection_date"]
        rows.append((label, fmt.format_day(issued.due_date, locale=locale)))
    if doc.corrects_number:
        rows.append((labels["corrects"], doc.corrects_number))
    if doc.recipient.vat_id and not paid_by_us:
        rows.append((labels["customer_vat"], doc.recipient.vat_id))
    return rows


def _sections(doc: Document, labels: fmt.Labels, locale: str) -> list[dict[str, Any]]:
    """Lines grouped by section, sections in the order they first appear."""
    grouped: dict[LineSection, list[DocumentLine]] = {}
    for line in doc.lines:
        grouped.setdefault(line.section, []).append(line)
    money = _money(doc, locale)
    return [
        {
            "title": labels[f"section_{section.value}"],
            "cdr": section is LineSection.ROAMING_SESSIONS,
            "has_dates": any(line.occurred_on for line in lines),
            "rows": [_row(line, doc.currency, labels, locale, money) for line in lines],
            "subtotal": money(sum(line.amount_cents for line in lines)),
        }
        for section, lines in grouped.items()
    ]


def _row(line: DocumentLine, currency: str, labels: fmt.Labels, locale: str,
         money) -> dict[str, Any]:
    day = fmt.format_short_day(line.occurred_on, locale=locale)
    show_quantity = line.unit != "" or line.quantity != 1
    return {
        "date": day,
        "description": line.description,
        "reference": line.reference or "",
        "late": labels["late"].format(date=day) if line.late else "",
        "quantity": fmt.format_quantity(line.quantity, line.unit, locale=locale)
        if show_quantity else "",
        "kwh": fmt.format_decimal_kwh(line.quantity, locale=locale)
        if line.unit == "kWh" else "",
        "unit_price": fmt.format_unit_price(line.unit_price, currency, locale=locale),
        "vat_rate": fmt.format_rate(line.vat_rate, locale=locale),
        "amount": money(line.amount_cents),
    }


def _total_label(doc: Document, paid_by_us: bool, labels: fmt.Labels) -> str:
    if doc.kind is DocumentKind.CREDIT_NOTE or doc.total_cents < 0:
        return labels["total_credit"]
    return labels["total_paid"] if paid_by_us else labels["total_due"]


def _payment_text(issued: IssuedDocument, paid_by_us: bool, debited: bool,
                  labels: fmt.Labels, locale: str) -> str:
    doc = issued.document
    amount = fmt.format_money(abs(doc.total_cents), doc.currency, locale=locale)
    due = fmt.format_day(issued.due_date or issued.issue_date, locale=locale)
    if doc.total_cents < 0:
        return labels["credit_offset"].format(amount=amount)
    if paid_by_us:
        if not doc.recipient.iban:
            return labels["pay_to_you_no_iban"].format(amount=amount, due=due)
        return labels["pay_to_you"].format(amount=amount, due=due, iban=doc.recipient.iban)
    if debited:  # collected on the due date at the earliest (the pre-notification)
        return labels["pay_by_direct_debit"].format(
            amount=amount, due=due, iban=fmt.mask_iban(doc.recipient.iban or ""),
            mandate=doc.recipient.sepa_mandate_id,
        )
    return labels["pay_to_us"].format(
        amount=amount, due=due, iban=doc.issuer.iban or "", name=doc.issuer.name,
        number=issued.number,
    )


def _notes(doc: Document, self_billing: bool, labels: fmt.Labels) -> list[str]:
    """Legal notes a Dutch/EU document must carry where they apply, then the
    document's own notes."""
    zero_lines = [line for line in doc.lines if line.vat_rate == 0]
    notes = []
    if self_billing:
        notes.append(labels["note_self_billing"])
    if any(line.section in _PASS_THROUGH for line in zero_lines) or (
        zero_lines and doc.recipient.is_private_person
    ):
        notes.append(labels["note_private_person"])
    cross_border = doc.recipient.country != doc.issuer.country and doc.recipient.vat_id
    if cross_border and any(line.section not in _PASS_THROUGH for line in zero_lines):
        notes.append(labels["note_reverse_charge"])
    return notes + list(doc.notes)


def logo_bytes(logo_url: str | None) -> bytes | None:
    """The SVG of a `static:logos/…` branding logo (for mail), or None."""
    if not logo_url or not logo_url.startswith("static:"):
        return None
    path = (STATIC_DIR / logo_url.removeprefix("static:")).resolve()
    if path.is_relative_to(STATIC_DIR) and path.is_file():
        return path.read_bytes()
    return None
