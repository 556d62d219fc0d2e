"""The October 2026 documents of SCENARIOS.md as issued documents, built by
hand: layout previews, render tests and the render benchmark print these.

They are sample data, not settlement results: the settlement jobs compute the
real documents from the database. Numbers and dates are what issuing would
assign (approved on 2 November, 14 days to pay, payouts on 5 November). The
IBANs are those of db/demo.py with valid check digits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.documents import (
    Branding,
    Direction,
    Document,
    DocumentKind,
    DocumentLine,
    IssuedDocument,
    LineSection,
    Party,
    PartyKind,
)

__all__ = ["october_documents", "typical_invoice"]

VAT = Decimal("21")
NO_VAT = Decimal("0")
ISSUED_ON = date(2026, 11, 2)
DUE_ON = date(2026, 11, 16)
PAID_ON = date(2026, 11, 5)

PLATFORM = Party(
    PartyKind.PLATFORM, 1, "Energy Cloud Operations B.V.",
    address="Keizersgracht 100\n1015 AA Amsterdam", vat_id="NL000000000B01",
    vat_registered=True, iban="NL91ABNA0417164300", email="finance@energycloud.example",
)
ACME = Party(
    PartyKind.ORGANIZATION, 2, "Acme Logistics B.V.",
    address="Havenweg 1\n1011 AA Amsterdam", vat_id="NL858585858B01", vat_registered=True,
    iban="NL20INGB0001234567", email="finance@acme.example",
)
JAN = Party(
    PartyKind.ORGANIZATION, 3, "Jan de Vries", address="Tulpstraat 5\n1234 AB Amstelveen",
    is_private_person=True, iban="NL66ASNB0707070707",
)
SHELL = Party(
    PartyKind.EMSP, 1, "ShellRecharge", address="Carel van Bylandtlaan 30\n2596 HR Den Haag",
    vat_id="NL812345678B01", vat_registered=True, email="billing@shellrecharge.example",
)
VOLT = Party(
    PartyKind.PARTNER, 1, "VoltPartners Laadoplossingen",
    address="Energieweg 8\n3542 DZ Utrecht", vat_id="NL123456789B01", vat_registered=True,
    iban="NL44RABO0123456789", email="admin@voltpartners.example",
)
VOLT_BRANDING = Branding(
    "VoltPartners Laadoplossingen", primary_color="#0b6e4f", secondary_color="#e8f5ee",
    logo_url="static:logos/voltpartners.svg", support_email="support@voltpartners.example",
    support_phone="+31 20 123 4567",
)
PLATFORM_BRANDING = Branding(
    "Energy Cloud", primary_color="#334155", secondary_color="#f1f5f9",
    logo_url="static:logos/energycloud.svg", support_email="support@energycloud.example",
)


def _sub(ocpp_id: str, plan: str, days: int, cents: int, location: str) -> DocumentLine:
    return DocumentLine(
        LineSection.SUBSCRIPTIONS, f"{ocpp_id} — {plan}", cents, VAT,
        quantity=Decimal(days), unit="days", reference=location,
    )


def _session(section: LineSection, day: int, ocpp_id: str, kwh: str, cents: int,
             rate: Decimal, ref: str, unit_price: str | None = None) -> DocumentLine:
    return DocumentLine(
        section, ocpp_id, cents, rate, quantity=Decimal(kwh), unit="kWh",
        unit_price=Decimal(unit_price) if unit_price else None, reference=ref,
        occurred_on=date(2026, 10, day),
    )


def october_documents() -> dict[str, IssuedDocument]:
    """The five October documents of SCENARIOS.md plus November's credit note
    (−2.18) correcting the October invoice, keyed by a short name."""
    invoice = Document(
        DocumentKind.INVOICE, "2026-10", Direction.DUE_TO_PLATFORM, PLATFORM, ACME,
        VOLT_BRANDING, (
            _sub("ACME-DEPOT-01", "Business", 31, 1250, "Depot Noord"),
            _sub("ACME-DEPOT-02", "Business", 31, 1250, "Depot Noord"),
            _sub("ACME-HOME-001", "Home, 11–31 Oct", 21, 539, "Home Jan"),
            DocumentLine(
                LineSection.REIMBURSED_ENERGY, "Jan de Vries — ACME-HOME-001", 511, NO_VAT,
                quantity=Decimal("18.250"), unit="kWh", unit_price=Decimal("0.28"),
            ),
        ),
    )
    roaming = Document(
        DocumentKind.ROAMING_INVOICE, "2026-10", Direction.DUE_TO_PLATFORM, PLATFORM, SHELL,
        PLATFORM_BRANDING, (
            _session(LineSection.ROAMING_SESSIONS, 14, "ACME-DEPOT-01", "24.000", 971, VAT,
                     "NL-TNM-C00122045-K"),
            _session(LineSection.ROAMING_SESSIONS, 22, "ACME-DEPOT-02", "10.500", 473, VAT,
                     "NL-TNM-C00122045-K"),
        ),
    )
    payout_jan = Document(
        DocumentKind.PAYOUT_STATEMENT, "2026-10", Direction.PAID_BY_PLATFORM, PLATFORM, JAN,
        VOLT_BRANDING, (
            _session(LineSection.REIMBURSEMENT, 12, "ACME-HOME-001", "18.250", 511, NO_VAT,
                     "ACME-JAN-01", "0.28"),
        ),
    )
    payout_acme = Document(
        DocumentKind.PAYOUT_STATEMENT, "2026-10", Direction.PAID_BY_PLATFORM, PLATFORM, ACME,
        VOLT_BRANDING, (
            _session(LineSection.ROAMING_COMPENSATION, 14, "ACME-DEPOT-01", "24.000", 720, VAT,
                     "NL-TNM-C00122045-K", "0.30"),
            _session(LineSection.ROAMING_COMPENSATION, 22, "ACME-DEPOT-02", "10.500", 315, VAT,
                     "NL-TNM-C00122045-K", "0.30"),
        ),
    )
    profit_share = Document(
        DocumentKind.PROFIT_SHARE_STATEMENT, "2026-10", Direction.PAID_BY_PLATFORM, PLATFORM,
        VOLT, PLATFORM_BRANDING, (
            DocumentLine(LineSection.ROAMING_FEES, "Acme Logistics — roaming energy", 173, VAT,
                         quantity=Decimal("34.500"), unit="kWh", unit_price=Decimal("0.05")),
            DocumentLine(LineSection.SUBSCRIPTION_KICKBACK,
                         "Acme Logistics — 20 % of subscriptions € 30.39", 608, VAT,
                         quantity=Decimal("20"), unit="%"),
        ),
    )
    credit = Document(
        DocumentKind.CREDIT_NOTE, "2026-10", Direction.DUE_TO_PLATFORM, PLATFORM, ACME,
        VOLT_BRANDING, (
            DocumentLine(
                LineSection.SUBSCRIPTIONS,
                "ACME-HOME-001 — Home: first connected 18 Oct, 14 instead of 21 days",
                -180, VAT, quantity=Decimal(-7), unit="days",
            ),
        ),
        corrects_number="INV-2026-000001",
    )
    return {
        "invoice": IssuedDocument(invoice, "INV-2026-000001", ISSUED_ON, DUE_ON),
        "roaming_invoice": IssuedDocument(roaming, "INV-2026-000002", ISSUED_ON, DUE_ON),
        "payout_jan": IssuedDocument(payout_jan, "PAY-2026-000001", ISSUED_ON, PAID_ON),
        "payout_acme": IssuedDocument(payout_acme, "PAY-2026-000002", ISSUED_ON, PAID_ON),
        "profit_share": IssuedDocument(profit_share, "PAY-2026-000003", ISSUED_ON, PAID_ON),
        "credit_note": IssuedDocument(
            credit, "CN-2026-000001", date(2026, 12, 1), date(2026, 12, 15)
        ),
    }


def typical_invoice(lines: int = 30) -> IssuedDocument:
    """An invoice of `lines` lines, two thirds subscriptions and one third
    reimbursed home charging: the typical document of a mid-sized fleet."""
    subs = [
        _sub(f"FLEET-{n:03d}", "Business", 31, 1250, f"Depot {n // 5 + 1}")
        for n in range(lines - lines // 3)
    ]
    homes = [
        DocumentLine(
            LineSection.REIMBURSED_ENERGY, f"Employee {n:02d} — HOME-{n:03d}",
            28 * (40 + n), NO_VAT, quantity=Decimal(40 + n), unit="kWh",
            unit_price=Decimal("0.28"),
        )
        for n in range(lines // 3)
    ]
    doc = Document(
        DocumentKind.INVOICE, "2026-10", Direction.DUE_TO_PLATFORM, PLATFORM, ACME,
        VOLT_BRANDING, tuple(subs + homes),
    )
    return IssuedDocument(doc, "INV-2026-000042", ISSUED_ON, DUE_ON)
