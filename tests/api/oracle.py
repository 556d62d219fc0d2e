"""Who may see which row, decided independently of db/scope.py: each row's place
in the tree in Python, judged by `domain.visibility.can_see`. The isolation
matrix compares the API's answers with this."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    ApiKey,
    ChargingCard,
    ChargingPoint,
    ChargingSession,
    Customer,
    Emsp,
    IssuedDocumentRow,
    Location,
    Organization,
    Partner,
    Rate,
    SettlementPeriod,
    SubscriptionPlan,
    User,
    WhitelistEntry,
)
from domain.enums import Role
from domain.visibility import PLATFORM_ROLES, Placement, Principal, can_see

# URL segment of /api/v1/<segment>/{id} -> model.
MODEL_OF_SEGMENT = {
    "partners": Partner, "customers": Customer, "organizations": Organization,
    "locations": Location, "charging-points": ChargingPoint, "users": User,
    "cards": ChargingCard, "whitelist-entries": WhitelistEntry, "rates": Rate,
    "plans": SubscriptionPlan, "emsps": Emsp, "transactions": ChargingSession,
    "api-keys": ApiKey, "documents": IssuedDocumentRow, "settlement-periods": SettlementPeriod,
}
# Body / query field naming a row -> model.
MODEL_OF_FIELD = {
    "partner_id": Partner, "customer_id": Customer, "organization_id": Organization,
    "parent_id": Organization, "reimbursable_for_organization_id": Organization,
    "location_id": Location, "charging_point_id": ChargingPoint, "user_id": User,
    "card_id": ChargingCard, "rate_id": Rate,
}


def _org_place(db: Session, org_id: int | None) -> Placement:
    org = db.get(Organization, org_id) if org_id is not None else None
    if org is None:
        return Placement()
    customer = db.get(Customer, org.customer_id)
    return Placement(partner_id=customer.partner_id, customer_id=customer.id,
                     organization_id=org.id, main_organization_id=org.parent_id)


def _customer_place(db: Session, customer_id: int | None) -> Placement:
    customer = db.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        return Placement(platform_only=True)
    return Placement(partner_id=customer.partner_id, customer_id=customer.id)


def placement(db: Session, row) -> Placement:
    if isinstance(row, Partner):
        return Placement(partner_id=row.id)
    if isinstance(row, Customer):
        return _customer_place(db, row.id)
    if isinstance(row, Organization):
        return _org_place(db, row.id)
    if isinstance(row, Location):
        return _org_place(db, row.organization_id)
    if isinstance(row, ChargingPoint):
        loc = db.get(Location, row.location_id) if row.location_id else None
        return _org_place(db, loc.organization_id) if loc else Placement(platform_only=True)
    if isinstance(row, ChargingSession):
        return _org_place(db, row.organization_id)
    if isinstance(row, User):
        if row.organization_id is not None:
            return _org_place(db, row.organization_id)
        if row.customer_id is not None:
            return _customer_place(db, row.customer_id)
        if row.partner_id is not None:
            return Placement(partner_id=row.partner_id)
        return Placement(platform_only=True)
    if isinstance(row, ChargingCard):
        return _org_place(db, row.organization_id) if row.organization_id else Placement(
            platform_only=True)
    if isinstance(row, WhitelistEntry):
        target = (db.get(Location, row.location_id) if row.location_id
                  else db.get(ChargingPoint, row.charging_point_id))
        return placement(db, target)
    if isinstance(row, (Emsp, SettlementPeriod)):
        return Placement(platform_only=True)
    if isinstance(row, IssuedDocumentRow):
        kind, _, id_ = row.recipient_ref.partition(":")
        if kind == "organization":
            return _org_place(db, int(id_))
        if kind == "partner":
            return Placement(partner_id=int(id_))
        return Placement(platform_only=True)
    raise TypeError(type(row).__name__)


def sees(db: Session, who: Principal, row) -> bool:
    """May `who` see `row` (the rules of DOMAIN.md §1, row by row)?"""
    if who.role in PLATFORM_ROLES:
        return True
    if isinstance(row, SubscriptionPlan):
        return True
    if isinstance(row, ApiKey):
        return row.user_id == who.user_id or (
            who.role == Role.PARTNER_ADMIN and row.partner_id == who.partner_id)
    if isinstance(row, Customer) and who.role == Role.CUSTOMER_USER:
        return False  # an employee sees its organization, not the customer account
    if isinstance(row, ChargingCard) and row.user_id == who.user_id:
        return True  # the card the employee holds
    if isinstance(row, Rate):
        if row.customer_id is None:
            return True
        if who.role != Role.CUSTOMER_USER:
            return can_see(who, _customer_place(db, row.customer_id))
        used = [o for o in db.scalars(select(Organization).where(Organization.rate_id == row.id))]
        used += list(db.scalars(select(Location).where(Location.rate_id == row.id)))
        used += list(db.scalars(select(ChargingPoint).where(ChargingPoint.rate_id == row.id)))
        return any(sees(db, who, u) for u in used)
    return can_see(who, placement(db, row))


def foreign_rows(db: Session, who: Principal, model) -> list:
    return [r for r in db.scalars(select(model).order_by(model.id)) if not sees(db, who, r)]


def own_rows(db: Session, who: Principal, model) -> list:
    return [r for r in db.scalars(select(model).order_by(model.id)) if sees(db, who, r)]


def ancestors(db: Session, who: Principal) -> dict:
    """The rows above the caller (its partner, customer, main organization): not
    visible to it, yet a filter by them rightly finds its own rows."""
    partner = who.partner_id
    if partner is None and who.customer_id is not None:
        partner = db.get(Customer, who.customer_id).partner_id
    org = db.get(Organization, who.organization_id) if who.organization_id else None
    return {Partner: {partner}, Customer: {who.customer_id},
            Organization: {org.parent_id if org else None}}


def foreign_unrelated(db: Session, who: Principal, model) -> list:
    """Rows of other partners and customers: not visible and not above the caller."""
    above = ancestors(db, who).get(model, set())
    return [r for r in foreign_rows(db, who, model) if r.id not in above]
