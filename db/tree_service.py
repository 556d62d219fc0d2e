"""Adding things to the tree, with clear refusals for bad input.

The database enforces the same rules (composite foreign keys on customer_id,
check constraints, unique OCPP ids); these functions check first so a caller
gets a sentence instead of an IntegrityError. Keyword-only arguments, one use
case per function."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    ChargingCard,
    ChargingPoint,
    Connector,
    Customer,
    Emsp,
    Location,
    Organization,
    Partner,
    Rate,
    SubscriptionPlan,
    User,
    WhitelistEntry,
)
from domain.charger_ids import ocpp_id_key, ocpp_id_problem
from domain.charger_secrets import hash_charger_secret
from domain.enums import AccessMode, CardKind, CardStatus, ChargingPointState, Role
from energycloud.passwords import hash_password


class TreeError(ValueError):
    """Bad input to the tree: the message says what is wrong and how to fix it."""


def _decimal(name: str, value) -> Decimal:
    if isinstance(value, float):
        raise TreeError(f"{name} must be given as a string or Decimal, not a float")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise TreeError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite() or result < 0:
        raise TreeError(f"{name} must not be negative (got {value})")
    return result


def _get(session: Session, model, id_: int | None, what: str):
    obj = session.get(model, id_) if id_ is not None else None
    if obj is None:
        raise TreeError(f"{what} {id_} does not exist")
    return obj


def create_partner(
    session: Session,
    *,
    name: str,
    display_name: str | None = None,
    roaming_fee_per_kwh="0",
    subscription_kickback_percent="0",
    **branding,
) -> Partner:
    fee = _decimal("roaming_fee_per_kwh", roaming_fee_per_kwh)
    kickback = _decimal("subscription_kickback_percent", subscription_kickback_percent)
    if kickback > 100:
        raise TreeError("subscription_kickback_percent must be between 0 and 100")
    if session.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise TreeError(f"a partner named {name!r} already exists")
    partner = Partner(
        name=name,
        display_name=display_name or name,
        roaming_fee_per_kwh=fee,
        subscription_kickback_percent=kickback,
        **branding,
    )
    session.add(partner)
    session.flush()
    return partner


def create_customer(session: Session, *, name: str, partner_id: int | None = None) -> Customer:
    if partner_id is not None:
        _get(session, Partner, partner_id, "partner")
    customer = Customer(name=name, partner_id=partner_id)
    session.add(customer)
    session.flush()
    return customer


def create_rate(
    session: Session,
    *,
    name: str,
    tariff: dict,
    compensation_per_kwh,
    customer_id: int | None = None,
    currency: str = "EUR",
) -> Rate:
    from domain.tariff import Tariff  # validates the OCPI shape and refuses negative prices

    try:
        parsed = Tariff.from_ocpi(tariff)
    except (ValueError, KeyError, TypeError) as exc:
        raise TreeError(f"rate {name!r}: invalid tariff: {exc}") from exc
    if parsed.currency != currency:
        raise TreeError(f"rate {name!r}: tariff currency {parsed.currency} is not {currency}")
    rate = Rate(
        name=name,
        tariff=parsed.to_ocpi(),
        compensation_per_kwh=_decimal("compensation_per_kwh", compensation_per_kwh),
        customer_id=customer_id,
        currency=currency,
    )
    session.add(rate)
    session.flush()
    return rate


def create_plan(session: Session, *, name: str, monthly_fee_cents: int) -> SubscriptionPlan:
    if not isinstance(monthly_fee_cents, int) or monthly_fee_cents < 0:
        raise TreeError("monthly_fee_cents must be a non-negative whole number of cents")
    plan = SubscriptionPlan(name=name, monthly_fee_cents=monthly_fee_cents)
    session.add(plan)
    session.flush()
    return plan


def create_emsp(session: Session, *, name: str, country_code: str, party_id: str, **extra) -> Emsp:
    emsp = Emsp(name=name, country_code=country_code, party_id=party_id, **extra)
    session.add(emsp)
    session.flush()
    return emsp


def create_organization(
    session: Session,
    *,
    customer_id: int,
    name: str,
    parent_id: int | None = None,
    rate_id: int | None = None,
    rate_inherited: bool = False,
    **details,
) -> Organization:
    _get(session, Customer, customer_id, "customer")
    if parent_id is not None:
        parent = _get(session, Organization, parent_id, "organization")
        if parent.customer_id != customer_id:
            raise TreeError(
                f"main organization {parent.name!r} belongs to another customer"
                f" (customer {parent.customer_id}, not {customer_id})"
            )
        if parent.parent_id is not None:
            raise TreeError("a suborganization cannot have suborganizations of its own")
    if rate_inherited and parent_id is None:
        raise TreeError("only a suborganization can inherit its main organization's rate")
    if not rate_inherited and rate_id is None:
        raise TreeError(f"organization {name!r} needs a rate (or must inherit its parent's)")
    if rate_id is not None:
        _check_rate(session, rate_id, customer_id)
    org = Organization(
        customer_id=customer_id,
        name=name,
        parent_id=parent_id,
        rate_id=rate_id,
        rate_inherited=rate_inherited,
        **details,
    )
    session.add(org)
    session.flush()
    return org


def _check_rate(session: Session, rate_id: int, customer_id: int) -> None:
    rate = _get(session, Rate, rate_id, "rate")
    if rate.customer_id is not None and rate.customer_id != customer_id:
        raise TreeError(f"rate {rate.name!r} belongs to another customer")


def create_location(
    session: Session,
    *,
    organization_id: int,
    name: str,
    access_mode: AccessMode,
    rate_id: int | None = None,
    rate_inherited: bool = True,
    customer_id: int | None = None,
    **address,
) -> Location:
    org = _get(session, Organization, organization_id, "organization")
    if customer_id is not None and org.customer_id != customer_id:
        raise TreeError(
            f"organization {org.name!r} belongs to another customer: a location must be added"
            " under one of the customer's own organizations"
        )
    if not rate_inherited and rate_id is None:
        raise TreeError(f"location {name!r} does not inherit its rate, so it needs one")
    if rate_id is not None:
        _check_rate(session, rate_id, org.customer_id)
    location = Location(
        customer_id=org.customer_id,
        organization_id=org.id,
        name=name,
        access_mode=AccessMode(access_mode),
        rate_id=rate_id,
        rate_inherited=rate_inherited,
        **address,
    )
    session.add(location)
    session.flush()
    return location


def add_charging_point(
    session: Session,
    *,
    location_id: int,
    ocpp_id: str,
    password: str,
    customer_id: int | None = None,
    name: str = "",
    connectors: int = 1,
    subscription_plan_id: int | None = None,
    rate_id: int | None = None,
    access_mode: AccessMode | None = None,
    max_power_w: int = 11000,
) -> ChargingPoint:
    """Add a charging point as *pre-approved*: the OCPP id is reserved and the
    first connection completes onboarding (DOMAIN.md §9). Passing `rate_id` or
    `access_mode` overrides the inherited value."""
    location = _get(session, Location, location_id, "location")
    if customer_id is not None and location.customer_id != customer_id:
        raise TreeError(
            f"location {location.name!r} belongs to another customer: a charging point must be"
            " added under one of the customer's own locations"
        )
    ocpp_id = ocpp_id.strip()
    problem = ocpp_id_problem(ocpp_id)
    if problem is not None:
        raise TreeError(f"OCPP id {ocpp_id!r} is not valid: {problem}")
    existing = session.scalar(
        select(ChargingPoint.ocpp_id).where(
            func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id)
        )
    )
    if existing is not None:
        # Ids equal but for case are the same charger (domain.charger_ids).
        raise TreeError(f"OCPP id {ocpp_id!r} is already registered ({existing!r})")
    if connectors < 1:
        raise TreeError("a charging point has at least one connector")
    if rate_id is not None:
        _check_rate(session, rate_id, location.customer_id)
    if subscription_plan_id is not None:
        _get(session, SubscriptionPlan, subscription_plan_id, "subscription plan")
    cp = ChargingPoint(
        ocpp_id=ocpp_id,
        customer_id=location.customer_id,
        location_id=location.id,
        name=name or ocpp_id,
        state=ChargingPointState.PRE_APPROVED,
        # A machine secret: fast salted HMAC, not argon2 (domain.charger_secrets).
        password_hash=hash_charger_secret(password, salt=os.urandom(16)),
        subscription_plan_id=subscription_plan_id,
        rate_id=rate_id,
        rate_inherited=rate_id is None,
        access_mode=access_mode,
        access_mode_inherited=access_mode is None,
    )
    cp.connectors = [Connector(number=n, max_power_w=max_power_w) for n in range(1, connectors + 1)]
    session.add(cp)
    session.flush()
    return cp


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    partner_id: int | None = None,
    customer_id: int | None = None,
    organization_id: int | None = None,
) -> User:
    role = Role(role)
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise TreeError(f"a user with e-mail {email} already exists")
    if organization_id is not None:
        org = _get(session, Organization, organization_id, "organization")
        if customer_id is not None and org.customer_id != customer_id:
            raise TreeError("the user's organization belongs to another customer")
        customer_id = org.customer_id
    if role in (Role.PARTNER_ADMIN, Role.PARTNER_SUPPORT) and partner_id is None:
        raise TreeError(f"a {role.value} user needs a partner")
    if role == Role.CUSTOMER_ADMIN and customer_id is None:
        raise TreeError("a customer_admin user needs a customer")
    if role == Role.CUSTOMER_USER and organization_id is None:
        raise TreeError("a customer_user needs an organization")
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        partner_id=partner_id,
        customer_id=customer_id,
        organization_id=organization_id,
    )
    session.add(user)
    session.flush()
    return user


def issue_organization_card(
    session: Session,
    *,
    uid: str,
    organization_id: int,
    user_id: int | None = None,
    label: str = "",
    reimbursable_for_organization_id: int | None = None,
    valid_until: datetime | None = None,
) -> ChargingCard:
    org = _get(session, Organization, organization_id, "organization")
    if user_id is not None:
        user = _get(session, User, user_id, "user")
        if user.customer_id != org.customer_id:
            raise TreeError("the card holder belongs to another customer")
    if reimbursable_for_organization_id is not None:
        sub = _get(session, Organization, reimbursable_for_organization_id, "organization")
        if sub.parent_id != org.id:
            raise TreeError(
                f"a card of {org.name!r} can only be reimbursable for one of its own"
                " suborganizations"
            )
    _check_uid_free(session, uid)
    card = ChargingCard(
        uid=uid,
        kind=CardKind.ORGANIZATION,
        customer_id=org.customer_id,
        organization_id=org.id,
        user_id=user_id,
        label=label,
        reimbursable_for_organization_id=reimbursable_for_organization_id,
        valid_until=valid_until,
    )
    session.add(card)
    session.flush()
    return card


def register_public_token(
    session: Session,
    *,
    emsp_id: int,
    uid: str,
    contract_id: str,
    status: CardStatus = CardStatus.ACTIVE,
    valid_until: datetime | None = None,
) -> ChargingCard:
    """A public eMSP token in the token registry (in real life pushed over OCPI)."""
    _get(session, Emsp, emsp_id, "eMSP")
    _check_uid_free(session, uid)
    card = ChargingCard(
        uid=uid,
        kind=CardKind.PUBLIC,
        emsp_id=emsp_id,
        contract_id=contract_id,
        status=CardStatus(status),
        label=contract_id,
        valid_until=valid_until,
    )
    session.add(card)
    session.flush()
    return card


def _check_uid_free(session: Session, uid: str) -> None:
    if not uid.strip():
        raise TreeError("a card needs a uid")
    if session.scalar(select(ChargingCard.id).where(ChargingCard.uid == uid)) is not None:
        raise TreeError(f"card uid {uid!r} is already registered")


def whitelist_card(
    session: Session,
    *,
    card_id: int,
    location_id: int | None = None,
    charging_point_id: int | None = None,
) -> WhitelistEntry:
    if (location_id is None) == (charging_point_id is None):
        raise TreeError("whitelist a card at a location or at a charging point (exactly one)")
    card = _get(session, ChargingCard, card_id, "card")
    if location_id is not None:
        target_customer = _get(session, Location, location_id, "location").customer_id
    else:
        point = _get(session, ChargingPoint, charging_point_id, "charging point")
        target_customer = point.customer_id
    # Public tokens may be whitelisted anywhere; organization cards only in their own customer.
    if card.kind == CardKind.ORGANIZATION and card.customer_id != target_customer:
        raise TreeError("an organization card can only be whitelisted at its own customer's sites")
    entry = WhitelistEntry(
        card_id=card.id, location_id=location_id, charging_point_id=charging_point_id
    )
    session.add(entry)
    session.flush()
    return entry
