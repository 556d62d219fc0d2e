"""Scoping every query to the caller's subtree (DOMAIN.md §1).

`visible(model, principal)` is a WHERE clause; repositories and routes add it to
every select so a partner or customer never reads another's rows. The rules are
the ones of `domain.visibility`, expressed per table."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, cast, false, literal, or_, select, true

from db.models import (
    ApiKey,
    AuditEntry,
    ChargingCard,
    ChargingPoint,
    ChargingPointStatus,
    ChargingSession,
    Connector,
    ConnectorStatusHistory,
    Customer,
    Emsp,
    IssuedDocumentRow,
    Location,
    Organization,
    Partner,
    Rate,
    RemoteCommand,
    SettlementPeriod,
    SubscriptionPlan,
    User,
    WhitelistEntry,
)
from domain.enums import Role
from domain.visibility import PARTNER_ROLES, PLATFORM_ROLES, Principal


def _customers_of_partner(partner_id: int):
    return select(Customer.id).where(Customer.partner_id == partner_id).scalar_subquery()


def _organizations_of_user(principal: Principal):
    """A customer user's organization and, if it is a main organization, its suborganizations."""
    return (
        select(Organization.id)
        .where(
            or_(
                Organization.id == principal.organization_id,
                Organization.parent_id == principal.organization_id,
            )
        )
        .scalar_subquery()
    )


def _by_customer(column, principal: Principal) -> ColumnElement[bool]:
    if principal.role in PARTNER_ROLES:
        return column.in_(_customers_of_partner(principal.partner_id))
    return column == principal.customer_id


def visible(model, principal: Principal) -> ColumnElement[bool]:
    """The rows of `model` the principal may see."""
    if principal.role in PLATFORM_ROLES:
        return true()
    user_level = principal.role == Role.CUSTOMER_USER
    if model is Partner:
        if principal.role in PARTNER_ROLES:
            return Partner.id == principal.partner_id
        return false()
    if model is Customer:
        if principal.role in PARTNER_ROLES:
            return Customer.partner_id == principal.partner_id
        if user_level:  # an employee sees its own organization, not the whole account
            return false()
        return Customer.id == principal.customer_id
    if model is Organization:
        if user_level:
            return Organization.id.in_(_organizations_of_user(principal))
        return _by_customer(Organization.customer_id, principal)
    if model is User and principal.role in PARTNER_ROLES:
        # The partner's own staff and its customers' users.
        return or_(
            User.partner_id == principal.partner_id, _by_customer(User.customer_id, principal)
        )
    if model in (Location, User, ChargingSession):
        if user_level:
            return model.organization_id.in_(_organizations_of_user(principal))
        return _by_customer(model.customer_id, principal)
    if model is ChargingPoint:
        if user_level:
            locations = select(Location.id).where(
                Location.organization_id.in_(_organizations_of_user(principal))
            )
            return ChargingPoint.location_id.in_(locations.scalar_subquery())
        return _by_customer(ChargingPoint.customer_id, principal)
    if model is ChargingCard:
        if user_level:
            # An employee sees the cards it holds and its organization's cards.
            return or_(
                ChargingCard.user_id == principal.user_id,
                ChargingCard.organization_id.in_(_organizations_of_user(principal)),
            )
        return _by_customer(ChargingCard.customer_id, principal)
    return _visible_beyond_tree(model, principal)


def _visible_ids(model, principal: Principal):
    return select(model.id).where(visible(model, principal)).scalar_subquery()


def _visible_beyond_tree(model, principal: Principal) -> ColumnElement[bool]:
    """Rows that hang off the tree (rates, connectors, audit entries, ...) for a
    non-platform principal."""
    if model is Rate:
        # Platform rates (no customer) are shared; a customer's rates stay its own.
        if principal.role in PARTNER_ROLES:
            return or_(Rate.customer_id.is_(None), Rate.customer_id.in_(
                _customers_of_partner(principal.partner_id)))
        if principal.role == Role.CUSTOMER_USER:
            # An employee sees the rates its own organizations, locations and
            # charging points use, not the whole customer's catalogue.
            return or_(
                Rate.customer_id.is_(None),
                Rate.id.in_(select(Organization.rate_id).where(visible(Organization, principal))
                            .scalar_subquery()),
                Rate.id.in_(select(Location.rate_id).where(visible(Location, principal))
                            .scalar_subquery()),
                Rate.id.in_(select(ChargingPoint.rate_id)
                            .where(visible(ChargingPoint, principal)).scalar_subquery()),
            )
        return or_(Rate.customer_id.is_(None), Rate.customer_id == principal.customer_id)
    if model is SubscriptionPlan:
        return true()  # the platform's catalogue, read by everyone, changed by the platform
    if model is Emsp:
        return false()  # roaming parties are the platform's business
    if model in (Connector, ConnectorStatusHistory, ChargingPointStatus, RemoteCommand):
        return model.charging_point_id.in_(_visible_ids(ChargingPoint, principal))
    if model is WhitelistEntry:
        return or_(
            WhitelistEntry.location_id.in_(_visible_ids(Location, principal)),
            WhitelistEntry.charging_point_id.in_(_visible_ids(ChargingPoint, principal)),
        )
    if model is AuditEntry:
        if principal.role in PARTNER_ROLES:
            return AuditEntry.partner_id == principal.partner_id
        if principal.role == Role.CUSTOMER_USER:
            return AuditEntry.organization_id.in_(_organizations_of_user(principal))
        return AuditEntry.customer_id == principal.customer_id
    if model is IssuedDocumentRow:
        # A document is its recipient's: an organization's (invoices, payout
        # statements) is seen by whoever sees the organization; a partner's
        # profit-share statement by the partner. eMSP documents stay the platform's.
        refs = select(literal("organization:").concat(cast(Organization.id, String))).where(
            visible(Organization, principal))
        by_org = IssuedDocumentRow.recipient_ref.in_(refs.scalar_subquery())
        if principal.role in PARTNER_ROLES:
            return or_(by_org, IssuedDocumentRow.recipient_ref == f"partner:{principal.partner_id}")
        return by_org
    if model is SettlementPeriod:
        return false()  # the period's finance view is the platform's
    if model is ApiKey:
        if principal.role == Role.PARTNER_ADMIN:
            return or_(ApiKey.partner_id == principal.partner_id,
                       ApiKey.user_id == principal.user_id)
        return ApiKey.user_id == principal.user_id
    raise TypeError(f"no visibility rule for {model.__name__}: add one before exposing it")


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        partner_id=user.partner_id,
        customer_id=user.customer_id,
        organization_id=user.organization_id,
    )
