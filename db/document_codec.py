"""A `Document` as plain JSON (Decimals and dates as strings) and back, and the
sha256 of its canonical form: how issued documents are stored and how the
computed documents travel from the compute step to the issue step."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from datetime import date
from decimal import Decimal

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

__all__ = ["content_sha256", "document_from_json", "document_to_json"]


# Fields added after documents were first issued: left out while unset, so the
# stored form (and content hash) of a document that does not use them is unchanged.
_OPTIONAL_PARTY_FIELDS = frozenset({"sepa_mandate_id"})


def _party(p: Party) -> dict:
    return {
        f.name: getattr(p, f.name) for f in fields(p)
        if f.name not in _OPTIONAL_PARTY_FIELDS or getattr(p, f.name) is not None
    } | {"kind": str(p.kind)}


def _line(line: DocumentLine) -> dict:
    return {
        "section": str(line.section),
        "description": line.description,
        "amount_cents": line.amount_cents,
        "vat_rate": str(line.vat_rate),
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": None if line.unit_price is None else str(line.unit_price),
        "reference": line.reference,
        "occurred_on": None if line.occurred_on is None else line.occurred_on.isoformat(),
        "late": line.late,
    }


def document_to_json(doc: Document) -> dict:
    return {
        "kind": str(doc.kind),
        "period": doc.period,
        "direction": str(doc.direction),
        "issuer": _party(doc.issuer),
        "recipient": _party(doc.recipient),
        "branding": {f.name: getattr(doc.branding, f.name) for f in fields(doc.branding)},
        "lines": [_line(line) for line in doc.lines],
        "currency": doc.currency,
        "corrects_number": doc.corrects_number,
        "notes": list(doc.notes),
    }


def document_from_json(data: dict) -> Document:
    return Document(
        kind=DocumentKind(data["kind"]),
        period=data["period"],
        direction=Direction(data["direction"]),
        issuer=Party(**(data["issuer"] | {"kind": PartyKind(data["issuer"]["kind"])})),
        recipient=Party(**(data["recipient"] | {"kind": PartyKind(data["recipient"]["kind"])})),
        branding=Branding(**data["branding"]),
        lines=tuple(
            DocumentLine(
                section=LineSection(line["section"]),
                description=line["description"],
                amount_cents=int(line["amount_cents"]),
                vat_rate=Decimal(line["vat_rate"]),
                quantity=Decimal(line["quantity"]),
                unit=line["unit"],
                unit_price=None if line["unit_price"] is None else Decimal(line["unit_price"]),
                reference=line["reference"],
                occurred_on=None
                if line["occurred_on"] is None
                else date.fromisoformat(line["occurred_on"]),
                late=bool(line["late"]),
            )
            for line in data["lines"]
        ),
        currency=data["currency"],
        corrects_number=data["corrects_number"],
        notes=tuple(data["notes"]),
    )


def content_sha256(doc: Document) -> str:
    """sha256 of the canonical JSON: any change to what the document says changes it."""
    canonical = json.dumps(document_to_json(doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
