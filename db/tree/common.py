"""What every tree use case checks: the row exists, numbers are exact and
non-negative, nothing of one customer is attached under another."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from db.models import Rate
from db.tree.errors import TreeError, TreeNotFound, TreeOtherCustomer
from domain.tree_rules import belongs_to_customer


def require_same_customer(
    owner_customer_id: int | None,
    customer_id: int | None,
    message: str,
    *,
    unowned_is_shared: bool = False,
) -> None:
    if not belongs_to_customer(
        owner_customer_id, customer_id, unowned_is_shared=unowned_is_shared
    ):
        raise TreeOtherCustomer(message)


def parse_decimal(name: str, value) -> Decimal:
    if isinstance(value, float):
        raise TreeError(f"{name} must be given as a string or Decimal, not a float")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise TreeError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite() or result < 0:
        raise TreeError(f"{name} must not be negative (got {value})")
    return result


def get_row(db: Session, model, id_: int | None, what: str):
    obj = db.get(model, id_) if id_ is not None else None
    if obj is None:
        raise TreeNotFound(f"{what} {id_} does not exist")
    return obj


def check_rate(db: Session, rate_id: int, customer_id: int) -> None:
    rate = get_row(db, Rate, rate_id, "rate")
    # Platform rates (no customer) are shared by every customer.
    require_same_customer(
        rate.customer_id, customer_id, f"rate {rate.name!r} belongs to another customer",
        unowned_is_shared=True,
    )


def added(db: Session, row):
    """Add a new row and flush, so it has its id (and the database has checked it)."""
    db.add(row)
    db.flush()
    return row


def parent_row(db: Session, model, id_: int, what: str, *, child: str, customer_id: int | None):
    """The row a new `child` is added under; refused when the caller acts for a
    customer (`customer_id`) and the row is another customer's."""
    parent = get_row(db, model, id_, what)
    if customer_id is not None:
        require_same_customer(
            parent.customer_id, customer_id,
            f"{what} {parent.name!r} belongs to another customer: a {child} must be added"
            f" under one of the customer's own {what}s",
        )
    return parent
