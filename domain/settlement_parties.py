"""Who issues and who receives a period's documents, in whose branding, and how
grouped lines become `Document`s (DOMAIN.md §8).

* The issuer is always the platform party (the operator).
* Branding is the recipient's partner's white label: an organization's customer's
  partner, a partner's own; the platform's own for eMSPs and for customers
  without a partner.
* Invoices and roaming invoices are claims of the platform; payout and
  profit-share statements are money it pays (self-billing when the payee is
  VAT-registered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.documents import (
    Branding,
    Direction,
    Document,
    DocumentKind,
    DocumentLine,
    LineSection,
    Party,
    PartyKind,
)
from domain.settlement_facts import (
    CustomerFacts,
    EmspFacts,
    OrganizationFacts,
    PartnerFacts,
    PlatformFacts,
)

__all__ = ["DocKey", "PartyDirectory", "assemble_documents"]

DocKey = tuple[str, str, int]  # (DocumentKind, PartyKind, recipient id)

KIND_ORDER = {
    DocumentKind.INVOICE: 0,
    DocumentKind.ROAMING_INVOICE: 1,
    DocumentKind.PAYOUT_STATEMENT: 2,
    DocumentKind.PROFIT_SHARE_STATEMENT: 3,
    DocumentKind.CREDIT_NOTE: 4,
}
DIRECTION = {
    DocumentKind.INVOICE: Direction.DUE_TO_PLATFORM,
    DocumentKind.ROAMING_INVOICE: Direction.DUE_TO_PLATFORM,
    DocumentKind.PAYOUT_STATEMENT: Direction.PAID_BY_PLATFORM,
    DocumentKind.PROFIT_SHARE_STATEMENT: Direction.PAID_BY_PLATFORM,
}


@dataclass(frozen=True)
class PartyDirectory:
    """The parties of a period by id, and how each is printed."""

    platform: PlatformFacts
    partners: Mapping[int, PartnerFacts]
    customers: Mapping[int, CustomerFacts]
    organizations: Mapping[int, OrganizationFacts]
    emsps: Mapping[int, EmspFacts]

    @classmethod
    def of(
        cls,
        platform: PlatformFacts,
        partners: Iterable[PartnerFacts],
        customers: Iterable[CustomerFacts],
        organizations: Iterable[OrganizationFacts],
        emsps: Iterable[EmspFacts],
    ) -> PartyDirectory:
        return cls(
            platform,
            {p.id: p for p in partners},
            {c.id: c for c in customers},
            {o.id: o for o in organizations},
            {e.id: e for e in emsps},
        )

    def issuer(self) -> Party:
        p = self.platform
        return _party(
            PartyKind.PLATFORM,
            p,
            name=p.legal_name or p.name,
            vat_registered=True,
            email=p.support_email,
        )

    def recipient(self, kind: str, party_id: int, *, collected: bool = False) -> Party:
        """The recipient as printed; `collected`: of a claim of the platform, so
        an organization paying by direct debit carries its mandate."""
        if kind == PartyKind.ORGANIZATION:
            facts = o = self.organizations[party_id]
            details = {
                "address": o.address or "",
                "country": o.country,
                "vat_registered": o.vat_registered,
                "is_private_person": o.is_private_person,
                "email": o.billing_email,
                "sepa_mandate_id": o.sepa_mandate_id if collected else None,
            }
        elif kind == PartyKind.PARTNER:
            facts = p = self.partners[party_id]
            details = {"vat_registered": p.vat_registered, "email": p.support_email}
        elif kind == PartyKind.EMSP:
            facts = e = self.emsps[party_id]
            details = {
                "address": e.address or "",
                "vat_registered": e.vat_id is not None,
                "email": e.billing_email,
            }
        else:
            raise ValueError(f"no documents are addressed to a {kind}")
        return _party(PartyKind(kind), facts, **details)

    def branding(self, kind: str, party_id: int) -> Branding:
        partner_id = None
        if kind == PartyKind.PARTNER:
            partner_id = party_id
        elif kind == PartyKind.ORGANIZATION:
            customer = self.customers[self.organizations[party_id].customer_id]
            partner_id = customer.partner_id
        if partner_id is None:
            p = self.platform
            return Branding(name=p.name, support_email=p.support_email)
        partner = self.partners[partner_id]
        return Branding(
            name=partner.display_name,
            primary_color=partner.primary_color,
            secondary_color=partner.secondary_color,
            logo_url=partner.logo_url,
            support_email=partner.support_email,
            support_phone=partner.support_phone,
        )

    def payee_vat_applies(self, kind: str, party_id: int) -> bool:
        """Self-billing with VAT only for a VAT-registered payee (private persons never)."""
        if kind == PartyKind.PARTNER:
            return self.partners[party_id].vat_registered
        o = self.organizations[party_id]
        return o.vat_registered and not o.is_private_person


def _party(
    kind: PartyKind,
    facts: PlatformFacts | OrganizationFacts | PartnerFacts | EmspFacts,
    **details: object,
) -> Party:
    """A party as printed: id, name, VAT id and IBAN from its facts, and the
    details (address, VAT status, e-mail, …) that its kind has."""
    common = {"id": facts.id, "name": facts.name, "vat_id": facts.vat_id, "iban": facts.iban}
    return Party(kind=kind, **(common | details))


def _notes(kind: str, recipient: Party, lines: tuple[DocumentLine, ...]) -> tuple[str, ...]:
    notes = []
    if any(line.section is LineSection.REIMBURSED_ENERGY for line in lines) or (
        kind == DocumentKind.PAYOUT_STATEMENT and recipient.is_private_person
    ):
        notes.append(
            "Reimbursed home charging: VAT 0 %, passed through to a private person "
            "(outside the scope of VAT)."
        )
    if DIRECTION[DocumentKind(kind)] is Direction.PAID_BY_PLATFORM and any(
        line.vat_rate > 0 for line in lines
    ):
        notes.append(
            "Self-billing: this statement is issued by the platform on behalf of the payee."
        )
    if any(line.late for line in lines):
        notes.append(
            "Late items: sessions of an earlier, already settled period, with their own dates."
        )
    return tuple(notes)


def assemble_documents(
    period: str,
    parties: PartyDirectory,
    grouped: Mapping[DocKey, tuple[DocumentLine, ...]],
) -> tuple[Document, ...]:
    """One document per (kind, recipient) with its lines, in a fixed order:
    invoices, roaming invoices, payout statements, profit-share statements; by
    recipient kind and id within each."""
    issuer = parties.issuer()
    documents = []
    for kind, party_kind, party_id in sorted(
        grouped, key=lambda k: (KIND_ORDER[DocumentKind(k[0])], k[1], k[2])
    ):
        lines = grouped[(kind, party_kind, party_id)]
        if not lines:
            continue
        collected = DIRECTION[DocumentKind(kind)] is Direction.DUE_TO_PLATFORM
        recipient = parties.recipient(party_kind, party_id, collected=collected)
        documents.append(
            Document(
                kind=DocumentKind(kind),
                period=period,
                direction=DIRECTION[DocumentKind(kind)],
                issuer=issuer,
                recipient=recipient,
                branding=parties.branding(party_kind, party_id),
                lines=lines,
                currency=parties.platform.currency,
                notes=_notes(kind, recipient, lines),
            )
        )
    return tuple(documents)
