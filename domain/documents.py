"""Monthly documents as data (DOMAIN.md §8): what an invoice, a roaming invoice,
a payout statement, a profit-share statement or a credit note says, before and
after it is issued.

This module is the contract between the three halves of settlement: the rules
and polars jobs that *compute* documents (`domain/settlement*.py`,
`settlement/`), the database that *issues* them (number, date, ledger postings;
`db/documents.py`), and the renderer that *prints* them (`invoices/`). It holds
no I/O and no clock: issue dates and numbers come in as values.

Money: every amount is integer cents; per-unit prices and quantities are
`Decimal`. A document's VAT is computed per VAT rate on the net total of that
rate, half up (DOMAIN.md §7); lines carry net amounts only.

Direction: a document is either a claim of the platform on the recipient
(`DUE_TO_PLATFORM`: invoices, roaming invoices) or money the platform pays the
recipient (`PAID_BY_PLATFORM`: payout and profit-share statements, which are
self-billing invoices when the payee is VAT-registered). A credit note has the
direction of the document it corrects and negative lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from domain.errors import Invalid
from domain.money import vat_cents

__all__ = [
    "Branding",
    "Direction",
    "Document",
    "DocumentKind",
    "DocumentLine",
    "IssuedDocument",
    "LineSection",
    "Party",
    "PartyKind",
    "VatSummary",
]


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # to a paying main organization: subscriptions + reimbursed energy
    ROAMING_INVOICE = "roaming_invoice"  # to an eMSP: its cardholders' sessions (CDR list)
    PAYOUT_STATEMENT = "payout_statement"  # to a payee organization (employee, owner)
    PROFIT_SHARE_STATEMENT = "profit_share_statement"  # to a partner
    CREDIT_NOTE = "credit_note"  # corrects an issued document of any kind above


class Direction(StrEnum):
    DUE_TO_PLATFORM = "due_to_platform"
    PAID_BY_PLATFORM = "paid_by_platform"


class PartyKind(StrEnum):
    PLATFORM = "platform"
    PARTNER = "partner"
    ORGANIZATION = "organization"
    EMSP = "emsp"


class LineSection(StrEnum):
    SUBSCRIPTIONS = "subscriptions"  # invoice: one line per charging point, pro rata
    REIMBURSED_ENERGY = "reimbursed_energy"  # invoice: per employee and charging point, VAT 0 %
    ROAMING_SESSIONS = "roaming_sessions"  # roaming invoice: one line per session (CDR)
    REIMBURSEMENT = "reimbursement"  # payout to an employee: per session, VAT 0 %
    ROAMING_COMPENSATION = "roaming_compensation"  # payout to an owner: per session
    ROAMING_FEES = "roaming_fees"  # profit share: per customer
    SUBSCRIPTION_KICKBACK = "subscription_kickback"  # profit share: per customer


@dataclass(frozen=True)
class Party:
    """Issuer or recipient as printed on the document."""

    kind: PartyKind
    id: int | None
    name: str
    address: str = ""  # may hold several lines separated by "\n"
    country: str = "NL"
    vat_id: str | None = None
    vat_registered: bool = False
    is_private_person: bool = False
    iban: str | None = None
    email: str | None = None
    # The recipient of a claim pays it by SEPA direct debit from `iban` under
    # this mandate (DOMAIN.md §8: pain.008 for invoices); None: by transfer.
    sepa_mandate_id: str | None = None

    @property
    def pays_by_direct_debit(self) -> bool:
        return bool(self.sepa_mandate_id and self.iban)

    @property
    def ref(self) -> str:
        """`organization:12`, `emsp:3`, `partner:1`, `platform:1`."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Branding:
    """White-label branding of the recipient's partner, or the platform's own."""

    name: str
    primary_color: str = "#0b6e4f"
    secondary_color: str = "#f2f2f2"
    logo_url: str | None = None
    support_email: str | None = None
    support_phone: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    """One printed line; `amount_cents` is net (excl. VAT), already rounded."""

    section: LineSection
    description: str
    amount_cents: int
    vat_rate: Decimal  # percent: Decimal("21"), Decimal("0")
    quantity: Decimal = Decimal("1")
    unit: str = ""  # "kWh", "days", "session", "%"
    unit_price: Decimal | None = None
    reference: str | None = None  # session workflow id, ocpp id, customer id …
    occurred_on: date | None = None  # session end date (a late item keeps its own)
    late: bool = False  # belongs to an earlier, already settled period

    def __post_init__(self) -> None:
        if not isinstance(self.amount_cents, int) or isinstance(self.amount_cents, bool):
            raise TypeError("DocumentLine.amount_cents must be int cents")
        if not isinstance(self.vat_rate, Decimal):
            raise TypeError("DocumentLine.vat_rate must be Decimal")


@dataclass(frozen=True)
class VatSummary:
    rate: Decimal
    net_cents: int
    vat_cents: int


@dataclass(frozen=True)
class Document:
    """A computed document, not yet issued (no number, no date)."""

    kind: DocumentKind
    period: str  # "2026-10"
    direction: Direction
    issuer: Party
    recipient: Party
    branding: Branding
    lines: tuple[DocumentLine, ...]
    currency: str = "EUR"
    corrects_number: str | None = None  # credit notes: the number of the corrected document
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "notes", tuple(self.notes))
        if self.kind is DocumentKind.CREDIT_NOTE and not self.corrects_number:
            raise Invalid("a credit note references the document it corrects")

    @property
    def key(self) -> str:
        """Stable identity within a period, for idempotency keys:
        `invoice:organization:12`, `credit_note:organization:12:INV-2026-000001`."""
        base = f"{self.kind}:{self.recipient.ref}"
        return f"{base}:{self.corrects_number}" if self.corrects_number else base

    @property
    def vat_summary(self) -> tuple[VatSummary, ...]:
        """VAT per rate on the net total of that rate, half up (DOMAIN.md §7)."""
        nets: dict[Decimal, int] = {}
        for line in self.lines:
            nets[line.vat_rate] = nets.get(line.vat_rate, 0) + line.amount_cents
        return tuple(
            VatSummary(rate, net, vat_cents(net, rate))
            for rate, net in sorted(nets.items(), reverse=True)
        )

    @property
    def net_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def vat_cents(self) -> int:
        return sum(v.vat_cents for v in self.vat_summary)

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.vat_cents

    def section_cents(self, section: LineSection) -> int:
        return sum(line.amount_cents for line in self.lines if line.section is section)


@dataclass(frozen=True)
class IssuedDocument:
    """A document with its number and dates, as stored and printed. Issued
    documents never change; corrections are credit notes."""

    document: Document
    number: str  # gap-free per issuer, series and year, e.g. "INV-2026-000001"
    issue_date: date
    due_date: date | None  # payment term for DUE_TO_PLATFORM; payment date otherwise
    content_hash: str | None = None  # sha256 of the rendered PDF, once rendered
