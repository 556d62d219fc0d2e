"""Charging points, added pre-approved under a location (DOMAIN.md §9)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    ChargingPoint,
    Connector,
    Location,
    SubscriptionPlan,
)
from db.passwords import hash_password
from db.tree.common import added, check_rate, get_row, parent_row
from db.tree.errors import TreeConflict, TreeError
from domain.enums import AccessMode, ChargingPointState


def add_charging_point(
    db: Session,
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
    location = parent_row(
        db, Location, location_id, "location", child="charging point", customer_id=customer_id
    )
    ocpp_id = ocpp_id.strip()
    if not ocpp_id or len(ocpp_id) > 48 or "/" in ocpp_id:
        raise TreeError("OCPP id must be 1–48 characters without '/'")
    existing = db.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == ocpp_id))
    if existing is not None:
        raise TreeConflict(f"OCPP id {ocpp_id!r} is already registered to another charging point")
    if connectors < 1:
        raise TreeError("a charging point has at least one connector")
    if rate_id is not None:
        check_rate(db, rate_id, location.customer_id)
    if subscription_plan_id is not None:
        get_row(db, SubscriptionPlan, subscription_plan_id, "subscription plan")
    cp = ChargingPoint(
        ocpp_id=ocpp_id,
        customer_id=location.customer_id,
        location_id=location.id,
        name=name or ocpp_id,
        state=ChargingPointState.PRE_APPROVED,
        password_hash=hash_password(password),
        subscription_plan_id=subscription_plan_id,
        rate_id=rate_id,
        rate_inherited=rate_id is None,
        access_mode=access_mode,
        access_mode_inherited=access_mode is None,
    )
    cp.connectors = [Connector(number=n, max_power_w=max_power_w) for n in range(1, connectors + 1)]
    return added(db, cp)
