"""Rates (OCPI 2.2.1 tariff shape), subscription plans, eMSPs and their tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from api.schemas.common import (
    Country,
    Email,
    Iban,
    Id,
    In,
    Money,
    Name,
    Out,
    Text,
    VatId,
    _examples,
)
from domain.enums import CardStatus

OCPI_TARIFF_EXAMPLE = {
    "id": "acme-standard", "currency": "EUR", "country_code": "NL", "party_id": "ECL",
    "elements": [{"price_components": [
        {"type": "ENERGY", "price": "0.35", "vat": 21.0, "step_size": 1},
        {"type": "FLAT", "price": "0.50", "vat": 21.0, "step_size": 1},
    ]}],
    "last_updated": "2026-11-01T00:00:00Z",
}


class RateOut(Out):
    id: int
    customer_id: int | None
    name: str
    currency: str
    tariff: dict = Field(description="The OCPI 2.2.1 Tariff object.")
    compensation_per_kwh: Decimal
    active: bool
    created_at: datetime


class RatePatch(In):
    model_config = _examples({"compensation_per_kwh": "0.22"})
    name: Name | None = None
    tariff: dict | None = Field(None, description="An OCPI 2.2.1 Tariff object.")
    compensation_per_kwh: Money | None = None


class RateIn(In):
    model_config = _examples(
        {"name": "Acme standard", "customer_id": 1, "currency": "EUR",
         "compensation_per_kwh": "0.20", "tariff": OCPI_TARIFF_EXAMPLE})
    name: Name
    tariff: dict = Field(description="An OCPI 2.2.1 Tariff object.")
    compensation_per_kwh: Money
    customer_id: Id | None = Field(None, description="None: a platform rate shared by all.")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")


class PlanOut(Out):
    id: int
    name: str
    monthly_fee_cents: int
    currency: str
    active: bool


class PlanPatch(In):
    model_config = _examples({"monthly_fee_cents": 1500})
    name: Name | None = None
    monthly_fee_cents: int | None = Field(None, ge=0, le=10_000_000)


class PlanIn(In):
    model_config = _examples({"name": "Smart", "monthly_fee_cents": 1500})
    name: Name
    monthly_fee_cents: int = Field(ge=0, le=10_000_000)


class EmspOut(Out):
    id: int
    name: str
    country_code: str
    party_id: str
    billing_email: str | None
    vat_id: str | None
    iban: str | None
    address: str | None
    active: bool


class EmspPatch(In):
    name: Name | None = None
    billing_email: Email | None = None
    vat_id: VatId | None = None
    iban: Iban | None = None
    address: Text | None = None


class EmspIn(EmspPatch):
    model_config = _examples({"name": "Shell Recharge", "country_code": "NL", "party_id": "SHL"})
    name: Name
    country_code: Country
    party_id: str = Field(pattern=r"^[A-Z0-9]{3}$")


class TokenIn(In):
    model_config = _examples({"uid": "AA11BB22", "contract_id": "NL-SHL-C12345678-X"})
    uid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")
    contract_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")
    status: CardStatus = CardStatus.ACTIVE
    valid_until: datetime | None = None
