"""The audit log: `record` every change and remote action (who, when, what,
before/after JSON), `list_for` reads it back scoped like the objects.

An entry carries the object's place in the tree (partner, customer,
organization), taken from the object's own columns, so a partner reads the
entries of its customers' objects and an employee those of its organization."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Customer, Location
from db.scope import visible
from domain.visibility import Principal

# Never copied into the log.
SECRET_COLUMNS = frozenset({"password_hash", "key_hash", "token_hash", "csrf_token"})


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(row) -> dict:
    """A row's columns as JSON-able values (secrets left out): the before/after of
    an entry."""
    return {
        column.key: _jsonable(getattr(row, column.key))
        for column in inspect(row).mapper.column_attrs
        if column.key not in SECRET_COLUMNS
    }


def _place(db: Session, object_type: str, object_id, state: dict) -> tuple:
    partner_id = state.get("partner_id")
    customer_id = state.get("customer_id")
    organization_id = state.get("organization_id")
    if object_type == "partner":
        partner_id = int(object_id)
    if object_type == "organization":
        organization_id = int(object_id)
    if object_type == "customer":
        customer_id = int(object_id)
    if organization_id is None and state.get("location_id") is not None:
        organization_id = db.scalar(
            select(Location.organization_id).where(Location.id == state["location_id"])
        )
    if partner_id is None and customer_id is not None:
        partner_id = db.scalar(select(Customer.partner_id).where(Customer.id == customer_id))
    return partner_id, customer_id, organization_id


def record(
    db: Session,
    *,
    principal: Principal,
    action: str,
    object_type: str,
    object_id,
    before: dict | None,
    after: dict | None,
    place: dict | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction (it commits with the change).
    `place` overrides the tree columns read from before/after (partner_id,
    customer_id, organization_id), e.g. for a connector or a remote action."""
    state = {**(before or {}), **(after or {}), **(place or {})}
    partner_id, customer_id, organization_id = _place(db, object_type, object_id, state)
    entry = AuditEntry(
        user_id=principal.user_id,
        actor=getattr(principal, "actor", None) or f"user {principal.user_id}",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        partner_id=partner_id,
        customer_id=customer_id,
        organization_id=organization_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    db.add(entry)
    db.flush()
    return entry


def list_for(
    db: Session,
    *,
    principal: Principal,
    object_type: str | None = None,
    object_id=None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """The entries the principal may see, newest first."""
    query = select(AuditEntry).where(visible(AuditEntry, principal))
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(db.scalars(query))
