"""Partners, customers, organizations, locations, charging points and
connectors: what is read (`...Out`), created (`...In`) and changed (`...Patch`,
every field optional). Users, cards and whitelists: api/schemas/people.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from api.schemas.common import (
    Color,
    Country,
    Email,
    Iban,
    Id,
    In,
    Money,
    Name,
    Out,
    Percent,
    Short,
    Text,
    VatId,
    _examples,
)
from domain.enums import AccessMode, ChargingPointState


class PartnerOut(Out):
    id: int
    name: str
    display_name: str
    logo_url: str | None
    primary_color: str
    secondary_color: str
    support_email: str | None
    support_phone: str | None
    domain: str | None
    roaming_fee_per_kwh: Decimal
    subscription_kickback_percent: Decimal
    iban: str | None
    vat_id: str | None
    active: bool
    created_at: datetime


class PartnerPatch(In):
    model_config = _examples({"display_name": "Volt Partners", "primary_color": "#0b6e4f"})
    display_name: Name | None = None
    logo_url: Text | None = None
    primary_color: Color | None = None
    secondary_color: Color | None = None
    support_email: Email | None = None
    support_phone: Short | None = None
    domain: Text | None = None
    roaming_fee_per_kwh: Money | None = None
    subscription_kickback_percent: Percent | None = None
    iban: Iban | None = None
    vat_id: VatId | None = None


class PartnerIn(PartnerPatch):
    model_config = _examples({"name": "Volt Partners B.V.", "display_name": "Volt Partners",
                              "roaming_fee_per_kwh": "0.04"})
    name: Name


class CustomerOut(Out):
    id: int
    partner_id: int | None
    name: str
    active: bool
    created_at: datetime


class CustomerPatch(In):
    model_config = _examples({"name": "Acme Logistics"})
    name: Name | None = None


class CustomerIn(In):
    model_config = _examples({"name": "Acme Logistics", "partner_id": 1})
    name: Name
    partner_id: Id | None = Field(None, description="Defaults to the caller's partner.")


class OrganizationOut(Out):
    id: int
    customer_id: int
    parent_id: int | None
    name: str
    is_private_person: bool
    vat_id: str | None
    iban: str | None
    billing_email: str | None
    address: str | None
    country: str
    rate_id: int | None
    rate_inherited: bool
    active: bool
    created_at: datetime


class OrganizationPatch(In):
    model_config = _examples({"billing_email": "finance@acme.example"})
    name: Name | None = None
    vat_id: VatId | None = None
    iban: Iban | None = None
    billing_email: Email | None = None
    address: Text | None = None
    country: Country | None = None
    rate_id: Id | None = None
    rate_inherited: bool | None = None


class OrganizationIn(OrganizationPatch):
    model_config = _examples(
        {"customer_id": 1, "name": "Acme Logistics B.V.", "rate_id": 1},
        {"customer_id": 1, "parent_id": 2, "name": "Jan de Vries", "is_private_person": True,
         "rate_inherited": True},
    )
    customer_id: Id
    name: Name
    parent_id: Id | None = None
    is_private_person: bool = False
    rate_inherited: bool = False


class LocationOut(Out):
    id: int
    customer_id: int
    organization_id: int
    name: str
    address: str | None
    postal_code: str | None
    city: str | None
    country: str
    time_zone: str
    access_mode: AccessMode
    rate_id: int | None
    rate_inherited: bool
    active: bool
    created_at: datetime


class LocationPatch(In):
    model_config = _examples({"access_mode": "whitelisting"})
    name: Name | None = None
    address: Text | None = None
    postal_code: Short | None = None
    city: Name | None = None
    country: Country | None = None
    access_mode: AccessMode | None = None
    rate_id: Id | None = None
    rate_inherited: bool | None = None


class LocationIn(LocationPatch):
    model_config = _examples({"organization_id": 2, "name": "Depot Amsterdam",
                              "access_mode": "whitelisting", "city": "Amsterdam"})
    organization_id: Id
    name: Name
    access_mode: AccessMode
    rate_inherited: bool = True


class ConnectorOut(Out):
    id: int
    charging_point_id: int
    number: int
    standard: str
    max_power_w: int
    status: str
    status_at: datetime | None
    active: bool


class ConnectorPatch(In):
    model_config = _examples({"standard": "IEC_62196_T2", "max_power_w": 22000})
    standard: Short | None = None
    max_power_w: int | None = Field(None, ge=1000, le=400000)


class ChargingPointOut(Out):
    id: int
    ocpp_id: str
    customer_id: int | None
    location_id: int | None
    name: str
    state: ChargingPointState
    subscription_plan_id: int | None
    access_mode: AccessMode | None
    access_mode_inherited: bool
    rate_id: int | None
    rate_inherited: bool
    vendor: str | None
    model: str | None
    firmware_version: str | None
    ocpp_protocol: str | None
    online: bool
    last_seen_at: datetime | None
    first_connected_at: datetime | None
    created_at: datetime
    connectors: list[ConnectorOut]


class ChargingPointPatch(In):
    model_config = _examples({"name": "Bay 3", "access_mode": "open",
                              "access_mode_inherited": False})
    name: Name | None = None
    subscription_plan_id: Id | None = None
    access_mode: AccessMode | None = None
    access_mode_inherited: bool | None = None
    rate_id: Id | None = None
    rate_inherited: bool | None = None


class ChargingPointIn(In):
    """Pre-approve an OCPP id under a location (onboarding scenario 1)."""

    model_config = _examples({"location_id": 1, "ocpp_id": "ACME-AMS-03",
                              "password": "a-charger-secret-16+", "connectors": 2})
    location_id: Id
    ocpp_id: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._:\-]+$")
    password: str = Field(min_length=16, max_length=40, pattern=r"^[\x21-\x7e]+$",
                          description="The charger's OCPP basic-auth password (16-40 chars).")
    name: Name | None = None
    connectors: int = Field(1, ge=1, le=8)
    subscription_plan_id: Id | None = None
    rate_id: Id | None = None
    access_mode: AccessMode | None = None
    max_power_w: int = Field(11000, ge=1000, le=400000)
