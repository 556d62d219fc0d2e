"""Charging points, added pre-approved under a location (DOMAIN.md §9)."""

from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ChargingPoint, Connector, Location, SubscriptionPlan
from db.tree.common import added, check_rate, get_row, parent_row
from db.tree.errors import TreeConflict, TreeError
from domain.charger_ids import ocpp_id_key, ocpp_id_problem
from domain.charger_secrets import hash_charger_secret
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
    problem = ocpp_id_problem(ocpp_id)
    if problem is not None:
        raise TreeError(f"OCPP id {ocpp_id!r} is not valid: {problem}")
    existing = db.scalar(
        select(ChargingPoint.ocpp_id).where(
            func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id)
        )
    )
    if existing is not None:
        # Ids equal but for case are the same charger (domain.charger_ids).
        raise TreeConflict(f"OCPP id {ocpp_id!r} is already registered ({existing!r})")
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
        # A machine secret: fast salted HMAC, not argon2 (domain.charger_secrets).
        password_hash=hash_charger_secret(password, salt=os.urandom(16)),
        subscription_plan_id=subscription_plan_id,
        rate_id=rate_id,
        rate_inherited=rate_id is None,
        access_mode=access_mode,
        access_mode_inherited=access_mode is None,
    )
    cp.connectors = [Connector(number=n, max_power_w=max_power_w) for n in range(1, connectors + 1)]
    return added(db, cp)
