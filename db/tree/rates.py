"""Rates (an OCPI tariff plus the owner compensation) and subscription plans."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Rate, SubscriptionPlan
from db.tree.common import added, parse_decimal
from db.tree.errors import TreeError


def create_rate(
    db: Session,
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
    return added(db, Rate(
        name=name,
        tariff=parsed.to_ocpi(),
        compensation_per_kwh=parse_decimal("compensation_per_kwh", compensation_per_kwh),
        customer_id=customer_id,
        currency=currency,
    ))


def create_plan(db: Session, *, name: str, monthly_fee_cents: int) -> SubscriptionPlan:
    if not isinstance(monthly_fee_cents, int) or monthly_fee_cents < 0:
        raise TreeError("monthly_fee_cents must be a non-negative whole number of cents")
    return added(db, SubscriptionPlan(name=name, monthly_fee_cents=monthly_fee_cents))
