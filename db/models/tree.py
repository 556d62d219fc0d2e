"""The tree of DOMAIN.md §1: platform → partner → customer → organization →
location → charging point → connector; organization → user → charging card.

Every row below the customer carries `customer_id`, and composite foreign keys
tie it to its parent's `(id, customer_id)`. The database itself therefore refuses
a location under another customer's organization, a charging point under another
customer's location, a card of another customer's user; and scoping a query to a
caller's subtree is a filter on one indexed column (DOMAIN.md §1).

This module: the platform, partners, customers, rates, plans, eMSPs,
organizations, locations, users and cards; charging points and connectors are
in db/models/charging_points.py."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import (
    Base,
    DecimalText,
    UTCDateTime,
    by_id,
    customer_key,
    same_customer,
    string_enum,
    utcnow,
)
from domain.enums import AccessMode, CardKind, CardStatus, Role

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by name
    from db.models.charging_points import ChargingPoint

__all__ = [
    "Partner",
    "Customer",
    "Rate",
    "SubscriptionPlan",
    "Emsp",
    "Organization",
    "Location",
    "User",
    "ChargingCard",
    "WhitelistEntry",
]


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = (
        CheckConstraint("roaming_fee_per_kwh NOT LIKE '-%'", name="roaming_fee_not_negative"),
        CheckConstraint(
            "subscription_kickback_percent NOT LIKE '-%'", name="kickback_not_negative"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # White-label branding (DOMAIN.md §8: documents carry the partner's brand).
    display_name: Mapped[str] = mapped_column(String(200))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    primary_color: Mapped[str] = mapped_column(String(7), default="#0b6e4f")
    secondary_color: Mapped[str] = mapped_column(String(7), default="#f2f2f2")
    support_email: Mapped[str | None] = mapped_column(String(200))
    support_phone: Mapped[str | None] = mapped_column(String(40))
    # Where the partner's profit-share statements are mailed (finance, not support).
    billing_email: Mapped[str | None] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Money settings: one roaming fee per partner for all its customers (seed).
    roaming_fee_per_kwh: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal("0"))
    subscription_kickback_percent: Mapped[Decimal] = mapped_column(
        DecimalText, default=Decimal("0")
    )
    iban: Mapped[str | None] = mapped_column(String(34))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    customers: Mapped[list[Customer]] = relationship(back_populates="partner")


class Customer(Base):
    """A charging point owner account; hangs under a partner or directly under the platform."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    partner: Mapped[Partner | None] = relationship(back_populates="customers")
    organizations: Mapped[list[Organization]] = relationship(back_populates="customer")


class Rate(Base):
    """A consumer tariff (OCPI 2.2.1 Tariff JSON, prices excl. VAT) plus the
    compensation per kWh the charging point's organization receives (DOMAIN.md §3)."""

    __tablename__ = "rates"
    __table_args__ = (
        CheckConstraint("compensation_per_kwh NOT LIKE '-%'", name="compensation_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    tariff: Mapped[dict] = mapped_column(JSON)
    compensation_per_kwh: Mapped[Decimal] = mapped_column(DecimalText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SubscriptionPlan(Base):
    __tablename__ = "subscription_plans"
    __table_args__ = (CheckConstraint("monthly_fee_cents >= 0", name="fee_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    monthly_fee_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Emsp(Base):
    """An e-mobility service provider whose public tokens roam onto our chargers."""

    __tablename__ = "emsps"
    __table_args__ = (UniqueConstraint("country_code", "party_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    billing_email: Mapped[str | None] = mapped_column(String(200))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    iban: Mapped[str | None] = mapped_column(String(34))
    address: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Organization(Base):
    """A main organization (employer) or a suborganization (employee) of a customer."""

    __tablename__ = "organizations"
    __table_args__ = (
        customer_key("organizations"),
        # A suborganization belongs to the same customer as its main organization.
        same_customer("parent_id", "organizations"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # Inheriting a rate needs a parent to inherit it from; an own rate needs a rate.
        CheckConstraint(
            "(rate_inherited AND parent_id IS NOT NULL) OR (NOT rate_inherited)",
            name="inherit_needs_parent",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_private_person: Mapped[bool] = mapped_column(Boolean, default=False)
    vat_id: Mapped[str | None] = mapped_column(String(32))
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    iban: Mapped[str | None] = mapped_column(String(34))
    billing_email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2), default="NL")
    # A signed SEPA direct debit mandate: its invoices are collected by pain.008.
    sepa_mandate_id: Mapped[str | None] = mapped_column(String(35))
    sepa_mandate_signed_on: Mapped[date | None] = mapped_column(Date)
    # sepa_mandate | mollie | bank_transfer; NULL: by mandate when it has one, else transfer.
    payment_method: Mapped[str | None] = mapped_column(String(16))
    rate_id: Mapped[int | None] = mapped_column(ForeignKey("rates.id"))
    rate_inherited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    customer: Mapped[Customer] = relationship(back_populates="organizations")
    parent: Mapped[Organization | None] = by_id(
        "Organization.parent_id", "Organization", remote_side="Organization.id"
    )
    rate: Mapped[Rate | None] = relationship()
    locations: Mapped[list[Location]] = by_id(
        "Location.organization_id", "Organization", back_populates="organization"
    )


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        customer_key("locations"),
        same_customer("organization_id", "organizations"),
        CheckConstraint("rate_inherited OR rate_id IS NOT NULL", name="own_rate_needs_rate"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    organization_id: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="NL")
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    access_mode: Mapped[AccessMode] = mapped_column(
        string_enum(AccessMode), default=AccessMode.OPEN
    )
    rate_id: Mapped[int | None] = mapped_column(ForeignKey("rates.id"))
    rate_inherited: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    organization: Mapped[Organization] = by_id(
        "Location.organization_id", "Organization", back_populates="locations"
    )
    rate: Mapped[Rate | None] = relationship()
    charging_points: Mapped[list[ChargingPoint]] = by_id(
        "ChargingPoint.location_id", "Location", back_populates="location"
    )


class User(Base):
    """A login. Its role and the ids it carries fix its subtree (DOMAIN.md §1)."""

    __tablename__ = "users"
    __table_args__ = (
        same_customer("organization_id", "organizations"),
        customer_key("users"),
        CheckConstraint(
            "(role IN ('platform_admin', 'platform_finance')"
            "  AND partner_id IS NULL AND customer_id IS NULL)"
            " OR (role IN ('partner_admin', 'partner_support')"
            "  AND partner_id IS NOT NULL AND customer_id IS NULL)"
            " OR (role = 'customer_admin' AND customer_id IS NOT NULL AND partner_id IS NULL)"
            " OR (role = 'customer_user' AND organization_id IS NOT NULL"
            "  AND partner_id IS NULL)",
            name="role_matches_scope",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(string_enum(Role))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = by_id("User.organization_id", "Organization")
    cards: Mapped[list[ChargingCard]] = by_id("ChargingCard.user_id", "User", back_populates="user")


class ChargingCard(Base):
    """An organization card (held by a user) or a public eMSP token (token registry)."""

    __tablename__ = "charging_cards"
    __table_args__ = (
        same_customer("user_id", "users"),
        same_customer("organization_id", "organizations"),
        same_customer("reimbursable_for_organization_id", "organizations"),
        CheckConstraint(
            "(kind = 'organization' AND organization_id IS NOT NULL AND emsp_id IS NULL)"
            " OR (kind = 'public' AND emsp_id IS NOT NULL AND organization_id IS NULL"
            "  AND user_id IS NULL)",
            name="kind_matches_owner",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[CardKind] = mapped_column(string_enum(CardKind))
    status: Mapped[CardStatus] = mapped_column(string_enum(CardStatus), default=CardStatus.ACTIVE)
    label: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    emsp_id: Mapped[int | None] = mapped_column(ForeignKey("emsps.id"), index=True)
    contract_id: Mapped[str | None] = mapped_column(String(64))
    # The main organization may flag a card reimbursable for an employee's home
    # charger (DOMAIN.md §5, split billing).
    reimbursable_for_organization_id: Mapped[int | None] = mapped_column()
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = by_id("ChargingCard.user_id", "User", back_populates="cards")
    emsp: Mapped[Emsp | None] = relationship()


class WhitelistEntry(Base):
    """A card allowed at a location or at one charging point."""

    __tablename__ = "whitelist_entries"
    __table_args__ = (
        CheckConstraint(
            "(location_id IS NULL) <> (charging_point_id IS NULL)", name="one_target"
        ),
        UniqueConstraint("card_id", "location_id", "charging_point_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("charging_cards.id", ondelete="CASCADE"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    charging_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_points.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
