"""The printed documents: every figure of SCENARIOS.md October read back from
the PDFs, branding, legal notes, local-only resources, deterministic output,
rendering in a process pool, PNG previews, and write-once storage."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from domain.documents import (
    Direction,
    Document,
    DocumentKind,
    DocumentLine,
    IssuedDocument,
    LineSection,
)
from invoices.formatting import mask_iban
from invoices.render import LocalOnlyFetcher, document_context, render_pdf
from invoices.samples import PLATFORM, SHELL, VOLT_BRANDING, october_documents
from invoices.storage import StoredPdfConflict, pdf_path, store_pdf

DOCS = october_documents()

# Per document: what must be legible in the PDF (nl_NL): every amount, the
# numbers, VAT ids, IBANs and the branding name.
EXPECTED = {
    "invoice": [
        "Factuur", "INV-2026-000001", "Acme Logistics B.V.", "NL858585858B01",
        "Energy Cloud Operations B.V.", "NL000000000B01", "IBAN NL91ABNA0417164300",
        "VoltPartners Laadoplossingen", "2 november 2026", "16 november 2026", "oktober 2026",
        "ACME-DEPOT-01", "ACME-DEPOT-02", "ACME-HOME-001", "€ 12,50", "€ 5,39", "€ 30,39",
        "€ 6,38", "18,250 kWh", "€ 0,28", "€ 5,11", "€ 35,50", "Te betalen € 41,88",
        "o.v.v. INV-2026-000001",
        "Btw 0 %: buiten de reikwijdte van de btw voor een particulier",
    ],
    "roaming_invoice": [
        "INV-2026-000002", "ShellRecharge", "NL812345678B01", "NL91ABNA0417164300",
        "Energy Cloud", "Laadsessies (CDR-overzicht)", "14-10-2026", "22-10-2026",
        "ACME-DEPOT-01", "ACME-DEPOT-02", "NL-TNM-C00122045-K", "24,000", "10,500",
        "€ 9,71", "€ 4,73", "€ 14,44", "€ 3,03", "€ 17,47",
    ],
    "payout_jan": [
        "Uitbetalingsoverzicht", "PAY-2026-000001", "Jan de Vries", "NL66ASNB0707070707",
        "VoltPartners Laadoplossingen", "18,250 kWh", "€ 5,11", "5 november 2026",
        "Aan u uit te betalen € 5,11", "buiten de reikwijdte van de btw voor een particulier",
    ],
    "payout_acme": [
        "Factuur uitgereikt door afnemer", "PAY-2026-000002", "Acme Logistics B.V.",
        "NL858585858B01", "NL20INGB0001234567", "NL000000000B01",
        "VoltPartners Laadoplossingen", "€ 7,20", "€ 3,15", "€ 10,35", "€ 2,17", "€ 12,52",
        "self-billing",
    ],
    "profit_share": [
        "Factuur uitgereikt door afnemer — winstdeling", "PAY-2026-000003",
        "VoltPartners Laadoplossingen", "NL123456789B01", "NL44RABO0123456789", "Energy Cloud",
        "Roamingvergoeding per klant", "Abonnementsvergoeding per klant", "€ 1,73", "€ 6,08",
        "€ 7,81", "€ 1,64", "€ 9,45",
    ],
    "credit_note": [
        "Creditnota", "CN-2026-000001", "Corrigeert document: INV-2026-000001",
        "Acme Logistics B.V.", "NL858585858B01", "VoltPartners Laadoplossingen",
        "€ -1,80", "€ -0,38", "Totaal gecrediteerd € -2,18", "1 december 2026",
    ],
}


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with whitespace (including no-break spaces) collapsed."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_figure_number_vat_id_and_iban_is_printed(name, tmp_path):
    pdf = render_pdf(DOCS[name], locale="nl_NL")
    text = pdf_text(pdf)
    missing = [item for item in EXPECTED[name] if item not in text]
    assert not missing, f"{name}: not in the PDF text: {missing}\n{text}"
    if name == "payout_jan":  # a private person gets no self-billing wording
        assert "uitgereikt door afnemer" not in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_scenario_totals_come_from_the_document_not_the_template():
    totals = {name: issued.document.total_cents for name, issued in DOCS.items()}
    assert totals == {"invoice": 4188, "roaming_invoice": 1747, "payout_jan": 511,
                      "payout_acme": 1252, "profit_share": 945, "credit_note": -218}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_kind_renders_to_a_png_preview(name, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    pdf_file = tmp_path / f"{name}.pdf"
    pdf_file.write_bytes(render_pdf(DOCS[name]))
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf_file),
                    str(tmp_path / name)], check=True, timeout=60)
    png = (tmp_path / f"{name}.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a drawn page, not a blank


def test_english_locale_prints_english_labels_and_formats():
    text = pdf_text(render_pdf(DOCS["invoice"], locale="en_GB"))
    for item in ("Invoice", "Total due €41.88", "2 November 2026", "October 2026",
                 "18.250 kWh", "VAT 21 % on €30.39", "outside the scope of VAT"):
        assert item in text, item


def _by_direct_debit(issued: IssuedDocument, mandate: str = "ACME-2026-001") -> IssuedDocument:
    doc = issued.document
    recipient = dataclasses.replace(doc.recipient, sepa_mandate_id=mandate)
    return dataclasses.replace(issued, document=dataclasses.replace(doc, recipient=recipient))


def test_a_direct_debit_invoice_announces_the_collection_instead_of_asking_for_a_transfer(
    tmp_path,
):
    transfer = pdf_text(render_pdf(DOCS["invoice"], locale="nl_NL"))
    debit = pdf_text(render_pdf(_by_direct_debit(DOCS["invoice"]), locale="nl_NL"))
    # The bank-transfer invoice is as it was.
    assert ("Wij verzoeken u € 41,88 vóór 16 november 2026 over te maken op IBAN "
            "NL91ABNA0417164300 t.n.v. Energy Cloud Operations B.V., o.v.v. INV-2026-000001."
            ) in transfer
    assert "incasso" not in transfer.lower() and "IBAN NL20INGB0001234567" in transfer
    # The direct-debit one: amount, masked IBAN, date and mandate; no transfer.
    assert ("Het bedrag van € 41,88 wordt op of na 16 november 2026 via SEPA-incasso "
            "afgeschreven van IBAN NL** **** **** **45 67, onder machtigingskenmerk "
            "ACME-2026-001.") in debit
    assert "Incassodatum 16 november 2026" in debit
    assert "over te maken" not in debit and "NL20INGB0001234567" not in debit
    assert "IBAN NL** **** **** **45 67" in debit  # the recipient's block is masked too
    english = pdf_text(render_pdf(_by_direct_debit(DOCS["invoice"]), locale="en_GB"))
    assert ("The amount of €41.88 will be collected by SEPA direct debit from IBAN "
            "NL** **** **** **45 67 on or after 16 November 2026, under mandate reference "
            "ACME-2026-001.") in english
    assert "Collection date 16 November 2026" in english
    if shutil.which("pdftoppm"):  # a PNG of each, to look at the layout
        for name, issued in (("transfer", DOCS["invoice"]),
                             ("debit", _by_direct_debit(DOCS["invoice"]))):
            (tmp_path / f"{name}.pdf").write_bytes(render_pdf(issued))
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile",
                            str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                           check=True, timeout=60)
            assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_a_credit_note_and_a_statement_of_a_direct_debit_customer_are_unchanged():
    for name in ("credit_note", "payout_acme"):
        assert pdf_text(render_pdf(_by_direct_debit(DOCS[name]))) == pdf_text(
            render_pdf(DOCS[name]))


def test_an_iban_is_masked_but_for_its_country_and_last_four_characters():
    assert mask_iban("NL91ABNA0417161234") == "NL** **** **** **12 34"
    assert mask_iban("nl91 abna 0417 1612 34") == "NL** **** **** **12 34"
    assert mask_iban("DE89370400440532013000") == "DE** **** **** **** **30 00"


def test_a_late_session_is_marked_with_its_original_date():
    late = DocumentLine(LineSection.ROAMING_SESSIONS, "ACME-DEPOT-01", 815, Decimal("21"),
                        quantity=Decimal("20.000"), unit="kWh", reference="S6",
                        occurred_on=date(2026, 10, 30), late=True)
    on_time = DocumentLine(LineSection.ROAMING_SESSIONS, "ACME-DEPOT-02", 360, Decimal("21"),
                           quantity=Decimal("8.000"), unit="kWh", reference="S9",
                           occurred_on=date(2026, 11, 12))
    doc = Document(DocumentKind.ROAMING_INVOICE, "2026-11", Direction.DUE_TO_PLATFORM,
                   PLATFORM, SHELL, VOLT_BRANDING, (late, on_time))
    text = pdf_text(render_pdf(IssuedDocument(doc, "INV-2026-000009", date(2026, 12, 2),
                                              date(2026, 12, 16))))
    assert "ACME-DEPOT-01 nagekomen, 30-10-2026" in text
    assert "nagekomen, 12-11-2026" not in text
    assert "€ 11,75" in text and "€ 2,47" in text and "€ 14,22" in text


def test_rendering_is_deterministic_and_works_in_a_process_pool():
    names = ["invoice", "credit_note"]
    local = [render_pdf(DOCS[name]) for name in names]
    assert local == [render_pdf(DOCS[name]) for name in names]
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(render_pdf, [DOCS[name] for name in names])) == local


def test_names_are_escaped_and_colours_cannot_inject_css():
    issued = DOCS["invoice"]
    doc = issued.document
    evil = dataclasses.replace(
        doc,
        recipient=dataclasses.replace(doc.recipient, name="<b>Jansen & Zn</b>"),
        branding=dataclasses.replace(doc.branding, name='Volt "Laden" & Co',
                                     primary_color="red;} body {display:none"),
    )
    evil_issued = dataclasses.replace(issued, document=evil)
    assert document_context(evil_issued, locale="nl_NL")["branding"]["primary"] == "#0b6e4f"
    text = pdf_text(render_pdf(evil_issued))
    assert "<b>Jansen & Zn</b>" in text
    assert 'Vragen over dit document? Volt "Laden" & Co' in text
    assert "€ 41,88" in text


def test_only_static_and_data_logos_are_used(caplog):
    doc = DOCS["invoice"].document

    def logo_src(url):
        branding = dataclasses.replace(doc.branding, logo_url=url)
        issued = dataclasses.replace(DOCS["invoice"],
                                     document=dataclasses.replace(doc, branding=branding))
        return document_context(issued, locale="nl_NL")["branding"]["logo_src"]

    assert logo_src("static:logos/voltpartners.svg").endswith("/static/logos/voltpartners.svg")
    assert logo_src("data:image/svg+xml;base64,PHN2Zy8+") == "data:image/svg+xml;base64,PHN2Zy8+"
    with caplog.at_level(logging.WARNING, logger="invoices.render"):
        assert logo_src("https://cdn.example/logo.png") is None
        assert logo_src("static:../../../etc/passwd") is None
        assert logo_src("static:logos/missing.svg") is None
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 3
    # A document whose logo was skipped prints the partner's name instead.
    branding = dataclasses.replace(doc.branding, logo_url="https://cdn.example/logo.png")
    issued = dataclasses.replace(DOCS["invoice"],
                                 document=dataclasses.replace(doc, branding=branding))
    assert "VoltPartners Laadoplossingen" in pdf_text(render_pdf(issued))


def test_the_fetcher_refuses_the_network_and_files_outside_static():
    fetcher = LocalOnlyFetcher()
    for url in ("https://example.com/logo.png", "http://127.0.0.1:1/x", "file:///etc/hostname",
                "ftp://example.com/x"):
        with pytest.raises(ValueError, match="not allowed"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


# --- storage ----------------------------------------------------------------


def test_storing_the_same_pdf_twice_is_a_no_op(tmp_path):
    issued = DOCS["invoice"]
    pdf = render_pdf(issued)
    first = store_pdf(tmp_path, issued, pdf)
    assert first.path == tmp_path / "2026-10" / "invoice" / "INV-2026-000001.pdf"
    assert first.path.read_bytes() == pdf
    mtime = first.path.stat().st_mtime_ns
    assert store_pdf(tmp_path, issued, pdf) == first
    assert first.path.stat().st_mtime_ns == mtime
    assert [p.name for p in first.path.parent.iterdir()] == ["INV-2026-000001.pdf"]  # no temp


def test_a_different_pdf_for_a_stored_number_is_refused(tmp_path):
    issued = DOCS["invoice"]
    stored = store_pdf(tmp_path, issued, render_pdf(issued))
    with pytest.raises(StoredPdfConflict, match="INV-2026-000001 is already stored"):
        store_pdf(tmp_path, issued, render_pdf(issued, locale="en_GB"))
    assert stored.path.read_bytes() == render_pdf(issued)


def test_a_pdf_that_does_not_match_the_issued_content_hash_is_refused(tmp_path):
    issued = dataclasses.replace(DOCS["payout_jan"], content_hash="0" * 64)
    with pytest.raises(StoredPdfConflict, match="issued with content hash"):
        store_pdf(tmp_path, issued, render_pdf(issued))
    assert not pdf_path(tmp_path, issued).exists()


def test_a_number_that_is_not_a_safe_file_name_is_refused(tmp_path):
    issued = dataclasses.replace(DOCS["invoice"], number="../../evil")
    with pytest.raises(ValueError, match="not a safe file name"):
        store_pdf(tmp_path, issued, b"%PDF-1.7 ...")


def test_a_cross_border_business_gets_the_reverse_charge_note():
    berlin = dataclasses.replace(SHELL, name="Ladenetz GmbH", country="DE",
                                 address="Friedrichstraße 1\n10117 Berlin", vat_id="DE123456789")
    line = DocumentLine(LineSection.ROAMING_SESSIONS, "ACME-DEPOT-01", 971, Decimal("0"),
                        quantity=Decimal("24.000"), unit="kWh", occurred_on=date(2026, 10, 14))
    doc = Document(DocumentKind.ROAMING_INVOICE, "2026-10", Direction.DUE_TO_PLATFORM,
                   PLATFORM, berlin, VOLT_BRANDING, (line,))
    text = pdf_text(render_pdf(IssuedDocument(doc, "INV-2026-000007", date(2026, 11, 2),
                                              date(2026, 11, 16)), locale="en_GB"))
    assert "VAT reverse charged" in text and "DE123456789" in text and "DE " in text
    assert "private person" not in text
    assert "Total due €9.71" in text
