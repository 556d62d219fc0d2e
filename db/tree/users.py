"""Users of the portals, by role (DOMAIN.md §1)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Organization, User
from db.passwords import hash_password
from db.tree.common import added, get_row, require_same_customer
from db.tree.errors import TreeConflict, TreeError
from domain.enums import Role


def create_user(
    db: Session,
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
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise TreeConflict(f"a user with e-mail {email} already exists")
    if organization_id is not None:
        org = get_row(db, Organization, organization_id, "organization")
        if customer_id is not None:
            require_same_customer(
                org.customer_id, customer_id,
                "the user's organization belongs to another customer",
            )
        customer_id = org.customer_id
    if role in (Role.PARTNER_ADMIN, Role.PARTNER_SUPPORT) and partner_id is None:
        raise TreeError(f"a {role.value} user needs a partner")
    if role == Role.CUSTOMER_ADMIN and customer_id is None:
        raise TreeError("a customer_admin user needs a customer")
    if role == Role.CUSTOMER_USER and organization_id is None:
        raise TreeError("a customer_user needs an organization")
    return added(db, User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        partner_id=partner_id,
        customer_id=customer_id,
        organization_id=organization_id,
    ))
