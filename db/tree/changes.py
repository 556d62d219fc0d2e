"""Changing and deactivating tree rows: the checks creation makes (rates of the
same customer, exact non-negative numbers, a suborganization inherits only from
its parent) apply to updates too. Rows are never deleted: deactivation keeps
history (sessions, documents, the audit log) pointing at them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ChargingCard, ChargingPoint, Organization, Partner, SubscriptionPlan, User
from db.tree.common import check_rate, get_row, parse_decimal
from db.tree.errors import TreeError
from domain.enums import AccessMode, CardStatus, ChargingPointState

DECIMAL_FIELDS = frozenset({
    "roaming_fee_per_kwh", "subscription_kickback_percent", "compensation_per_kwh",
})


def _checked_tariff(rate, tariff: dict) -> dict:
    """A changed tariff is read like a new one: OCPI 2.2.1, the rate's currency."""
    from domain.tariff import Tariff

    try:
        parsed = Tariff.from_ocpi(tariff)
    except (ValueError, KeyError, TypeError) as exc:
        raise TreeError(f"rate {rate.name!r}: invalid tariff: {exc}") from exc
    if parsed.currency != rate.currency:
        raise TreeError(f"rate {rate.name!r}: tariff currency {parsed.currency} is not"
                        f" {rate.currency}")
    return parsed.to_ocpi()


def _customer_of(db: Session, row) -> int | None:
    return getattr(row, "customer_id", None)


def update_row(db: Session, *, row, changes: dict) -> None:
    """Apply `changes` (column -> value) to a tree row after the same checks as
    at creation; flushes so the database checks its constraints too."""
    for name, value in changes.items():
        if name in DECIMAL_FIELDS:
            value = parse_decimal(name, value)
            if name == "subscription_kickback_percent" and value > 100:
                raise TreeError("subscription_kickback_percent must be between 0 and 100")
        if name == "rate_id" and value is not None:
            check_rate(db, value, _customer_of(db, row))
        if name == "subscription_plan_id" and value is not None:
            get_row(db, SubscriptionPlan, value, "subscription plan")
        if name == "access_mode" and value is not None:
            value = AccessMode(value)
        if name == "tariff":
            value = _checked_tariff(row, value)
        setattr(row, name, value)
    if isinstance(row, Organization) and row.rate_inherited and row.parent_id is None:
        raise TreeError("only a suborganization can inherit its main organization's rate")
    for flag, value_name, what in (
        ("rate_inherited", "rate_id", "rate"),
        ("access_mode_inherited", "access_mode", "access mode"),
    ):
        if hasattr(row, flag) and not isinstance(row, Organization):
            if not getattr(row, flag) and getattr(row, value_name) is None:
                raise TreeError(f"a {what} of its own is needed when it is not inherited")
    if isinstance(row, Organization) and not row.rate_inherited and row.rate_id is None:
        raise TreeError("an organization that does not inherit its rate needs one")
    db.flush()


def deactivate_row(db: Session, *, row) -> None:
    """Deactivate: cards are blocked, charging points removed (their billing
    ends), users cannot log in, anything else is flagged inactive."""
    if isinstance(row, ChargingCard):
        row.status = CardStatus.BLOCKED
    elif isinstance(row, ChargingPoint):
        if row.state != ChargingPointState.REMOVED:
            row.state = ChargingPointState.REMOVED
            row.billing_ended_at = utcnow()
    elif isinstance(row, (User, Partner, Organization)) or hasattr(row, "active"):
        row.active = False
    else:
        raise TreeError(f"{type(row).__name__} cannot be deactivated")
    db.flush()


__all__ = ["deactivate_row", "update_row"]
