"""Organizations (main and sub) and their locations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Customer, Location, Organization
from db.tree.common import added, check_rate, get_row, parent_row, require_same_customer
from db.tree.errors import TreeError
from domain.enums import AccessMode


def create_organization(
    db: Session,
    *,
    customer_id: int,
    name: str,
    parent_id: int | None = None,
    rate_id: int | None = None,
    rate_inherited: bool = False,
    **details,
) -> Organization:
    get_row(db, Customer, customer_id, "customer")
    if parent_id is not None:
        parent = get_row(db, Organization, parent_id, "organization")
        require_same_customer(
            parent.customer_id, customer_id,
            f"main organization {parent.name!r} belongs to another customer"
            f" (customer {parent.customer_id}, not {customer_id})",
        )
        if parent.parent_id is not None:
            raise TreeError("a suborganization cannot have suborganizations of its own")
    if rate_inherited and parent_id is None:
        raise TreeError("only a suborganization can inherit its main organization's rate")
    if not rate_inherited and rate_id is None:
        raise TreeError(f"organization {name!r} needs a rate (or must inherit its parent's)")
    if rate_id is not None:
        check_rate(db, rate_id, customer_id)
    return added(db, Organization(
        customer_id=customer_id,
        name=name,
        parent_id=parent_id,
        rate_id=rate_id,
        rate_inherited=rate_inherited,
        **details,
    ))


def create_location(
    db: Session,
    *,
    organization_id: int,
    name: str,
    access_mode: AccessMode,
    rate_id: int | None = None,
    rate_inherited: bool = True,
    customer_id: int | None = None,
    **address,
) -> Location:
    org = parent_row(
        db, Organization, organization_id, "organization", child="location",
        customer_id=customer_id,
    )
    if not rate_inherited and rate_id is None:
        raise TreeError(f"location {name!r} does not inherit its rate, so it needs one")
    if rate_id is not None:
        check_rate(db, rate_id, org.customer_id)
    return added(db, Location(
        customer_id=org.customer_id,
        organization_id=org.id,
        name=name,
        access_mode=AccessMode(access_mode),
        rate_id=rate_id,
        rate_inherited=rate_inherited,
        **address,
    ))
