"""Charging cards: organization cards, public eMSP tokens (and their eMSPs),
and whitelists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    ChargingCard,
    ChargingPoint,
    Emsp,
    Location,
    Organization,
    User,
    WhitelistEntry,
)
from db.tree.common import added, get_row, require_same_customer
from db.tree.errors import TreeConflict, TreeError
from domain.enums import CardKind, CardStatus


def create_emsp(db: Session, *, name: str, country_code: str, party_id: str, **extra) -> Emsp:
    return added(db, Emsp(name=name, country_code=country_code, party_id=party_id, **extra))


def issue_organization_card(
    db: Session,
    *,
    uid: str,
    organization_id: int,
    user_id: int | None = None,
    label: str = "",
    reimbursable_for_organization_id: int | None = None,
    valid_until: datetime | None = None,
) -> ChargingCard:
    org = get_row(db, Organization, organization_id, "organization")
    if user_id is not None:
        user = get_row(db, User, user_id, "user")
        require_same_customer(
            user.customer_id, org.customer_id, "the card holder belongs to another customer"
        )
    if reimbursable_for_organization_id is not None:
        sub = get_row(db, Organization, reimbursable_for_organization_id, "organization")
        if sub.parent_id != org.id:
            raise TreeError(
                f"a card of {org.name!r} can only be reimbursable for one of its own"
                " suborganizations"
            )
    _check_uid_free(db, uid)
    return added(db, ChargingCard(
        uid=uid,
        kind=CardKind.ORGANIZATION,
        customer_id=org.customer_id,
        organization_id=org.id,
        user_id=user_id,
        label=label,
        reimbursable_for_organization_id=reimbursable_for_organization_id,
        valid_until=valid_until,
    ))


def register_public_token(
    db: Session,
    *,
    emsp_id: int,
    uid: str,
    contract_id: str,
    status: CardStatus = CardStatus.ACTIVE,
    valid_until: datetime | None = None,
) -> ChargingCard:
    """A public eMSP token in the token registry (in real life pushed over OCPI)."""
    get_row(db, Emsp, emsp_id, "eMSP")
    _check_uid_free(db, uid)
    return added(db, ChargingCard(
        uid=uid,
        kind=CardKind.PUBLIC,
        emsp_id=emsp_id,
        contract_id=contract_id,
        status=CardStatus(status),
        label=contract_id,
        valid_until=valid_until,
    ))


def _check_uid_free(db: Session, uid: str) -> None:
    if not uid.strip():
        raise TreeError("a card needs a uid")
    if db.scalar(select(ChargingCard.id).where(ChargingCard.uid == uid)) is not None:
        raise TreeConflict(f"card uid {uid!r} is already registered")


def whitelist_card(
    db: Session,
    *,
    card_id: int,
    location_id: int | None = None,
    charging_point_id: int | None = None,
) -> WhitelistEntry:
    if (location_id is None) == (charging_point_id is None):
        raise TreeError("whitelist a card at a location or at a charging point (exactly one)")
    card = get_row(db, ChargingCard, card_id, "card")
    if location_id is not None:
        target_customer = get_row(db, Location, location_id, "location").customer_id
    else:
        point = get_row(db, ChargingPoint, charging_point_id, "charging point")
        target_customer = point.customer_id
    # Public tokens may be whitelisted anywhere; organization cards only in their own customer.
    if card.kind == CardKind.ORGANIZATION:
        require_same_customer(
            card.customer_id, target_customer,
            "an organization card can only be whitelisted at its own customer's sites",
        )
    return added(db, WhitelistEntry(
        card_id=card.id, location_id=location_id, charging_point_id=charging_point_id
    ))
