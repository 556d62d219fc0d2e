"""One HTML mail of each kind rendered to PNG (HTML → WeasyPrint PDF →
pdftoppm) into /tmp/mail-preview/, to be looked at; the test checks that each
renders to a non-blank page in its brand's colour."""

from __future__ import annotations

import base64
import dataclasses
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from weasyprint import HTML

from db.account_tokens import TokenMail
from invoices.render import logo_bytes
from invoices.samples import october_documents
from mail.account_mail import compose_account_mail
from mail.compose import Brand, render_html
from mail.config import MailConfig
from mail.documents import document_mail

PREVIEW = Path("/tmp/mail-preview")
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _png(name: str, html: str) -> Path:
    PREVIEW.mkdir(exist_ok=True)
    pdf = PREVIEW / f"{name}.pdf"
    # A page the size of a mail client's reading pane, no print margins.
    page = "<style>@page { size: 700px 860px; margin: 0 }</style>"
    HTML(string=html.replace("</head>", page + "</head>")).write_pdf(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf),
                    str(PREVIEW / name)], check=True)
    pdf.unlink()
    return PREVIEW / f"{name}.png"


def _html_part(message) -> str:
    html = message.get_body(preferencelist=("html",)).get_content()
    return html


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler) not installed")
def test_one_mail_of_each_kind_renders_to_png_in_its_brand():
    documents = october_documents()
    made = []
    for key, issued in documents.items():
        b = issued.document.branding
        brand = Brand(b, logo_bytes(b.logo_url))
        m = document_mail(issued)
        html = render_html("document.html", brand, inline_logo=True, subject=m.subject,
                           heading=m.heading, recipient=m.recipient, intro=m.intro,
                           facts=m.facts, closing=m.closing, attachment=m.attachment_name)
        assert brand.primary in html
        made.append(_png(f"document-{key}", html))
    volt = next(d for d in documents.values() if "Volt" in d.document.branding.name)
    branding = volt.document.branding
    config = MailConfig(public_url="https://laden.voltpartners.example")
    for purpose, token in (("invitation", "tok-invite"), ("password_reset", "tok-reset"),
                           ("password_changed", None)):
        item = TokenMail(7, "jan@acme.example", "Jan de Vries", purpose, token,
                         AT + timedelta(hours=1))
        svg = logo_bytes(branding.logo_url)
        message = compose_account_mail(item, branding=branding, config=config, at=AT,
                                       logo_svg=svg)
        html = _html_part(message)
        if svg:  # the CID logo inline for the preview
            assert "cid:brand-logo" in html
            html = html.replace("cid:brand-logo",
                                "data:image/svg+xml;base64," + base64.b64encode(svg).decode())
        made.append(_png(f"account-{purpose}", html))
    for png in made:
        assert png.stat().st_size > 5_000, f"{png} looks blank"


def test_the_mail_of_a_direct_debit_invoice_says_it_is_collected():
    issued = october_documents()["invoice"]
    doc = issued.document
    debited = dataclasses.replace(issued, document=dataclasses.replace(
        doc, recipient=dataclasses.replace(doc.recipient, sepa_mandate_id="ACME-2026-001")))
    transfer, debit = document_mail(issued), document_mail(debited)
    assert transfer.closing.startswith("Please pay by the due date")
    assert ("Due", "16 November 2026") in transfer.facts
    assert debit.closing == ("We collect it by SEPA direct debit under mandate ACME-2026-001; "
                             "no action is needed.")
    assert ("Collected on or after", "16 November 2026") in debit.facts
    assert ("Amount due", "EUR 41.88") in debit.facts
