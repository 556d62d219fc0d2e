"""Partners (white-label resellers) and their customers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Customer, Partner
from db.tree.common import added, get_row, parse_decimal
from db.tree.errors import TreeConflict, TreeError


def create_partner(
    db: Session,
    *,
    name: str,
    display_name: str | None = None,
    roaming_fee_per_kwh="0",
    subscription_kickback_percent="0",
    **branding,
) -> Partner:
    fee = parse_decimal("roaming_fee_per_kwh", roaming_fee_per_kwh)
    kickback = parse_decimal("subscription_kickback_percent", subscription_kickback_percent)
    if kickback > 100:
        raise TreeError("subscription_kickback_percent must be between 0 and 100")
    if db.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise TreeConflict(f"a partner named {name!r} already exists")
    return added(db, Partner(
        name=name,
        display_name=display_name or name,
        roaming_fee_per_kwh=fee,
        subscription_kickback_percent=kickback,
        **branding,
    ))


def create_customer(db: Session, *, name: str, partner_id: int | None = None) -> Customer:
    if partner_id is not None:
        get_row(db, Partner, partner_id, "partner")
    return added(db, Customer(name=name, partner_id=partner_id))
