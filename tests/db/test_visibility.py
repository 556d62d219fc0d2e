"""DOMAIN.md §1: every role against objects inside and outside its subtree,
on the demo world, on SQLite and PostgreSQL. The database scope (db.scope) and
the pure rule (domain.visibility) must agree row by row, and both must match
what a person would expect of the demo world."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.demo import load_demo_data
from db.models import ChargingCard, ChargingPoint, Customer, Location, Organization, Partner, User
from db.scope import principal_of, visible
from domain.enums import Role
from domain.visibility import Action, Placement, Principal, can_see, may


def placement(session, obj) -> Placement:
    """Where a row hangs in the tree, worked out from its parents."""
    if isinstance(obj, Partner):
        return Placement(partner_id=obj.id)
    if isinstance(obj, Customer):
        return Placement(partner_id=obj.partner_id, customer_id=obj.id)
    if obj.customer_id is None:  # public eMSP tokens belong to the platform
        return Placement(platform_only=True)
    customer = session.get(Customer, obj.customer_id)
    if isinstance(obj, Organization):
        org = obj
    elif isinstance(obj, ChargingPoint):
        org = session.get(Location, obj.location_id).organization
    elif isinstance(obj, ChargingCard) and obj.user_id is not None:
        holder = session.get(User, obj.user_id)
        org = session.get(Organization, holder.organization_id or obj.organization_id)
    else:
        org = session.get(Organization, obj.organization_id) if obj.organization_id else None
    return Placement(
        partner_id=customer.partner_id,
        customer_id=customer.id,
        organization_id=org.id if org else None,
        main_organization_id=org.parent_id if org else None,
    )


MODELS = [Partner, Customer, Organization, Location, ChargingPoint, ChargingCard]


@pytest.fixture
def demo(session_factory):
    load_demo_data(session_factory, password="pw")
    return session_factory


def names(session, model, principal):
    rows = session.scalars(select(model).where(visible(model, principal))).all()
    return {getattr(r, "ocpp_id", None) or getattr(r, "uid", None) or r.name for r in rows}


def test_db_scope_and_domain_rule_agree_for_every_user_and_table(demo):
    with demo() as s:
        users = s.scalars(select(User)).all()
        assert {u.role for u in users} == set(Role)
        for user in users:
            who = principal_of(user)
            for model in MODELS:
                in_db = set(s.scalars(select(model.id).where(visible(model, who))))
                by_rule = {
                    row.id for row in s.scalars(select(model)) if can_see(who, placement(s, row))
                }
                assert in_db == by_rule, (user.email, model.__name__)


def _user(s, email) -> Principal:
    return principal_of(s.scalar(select(User).where(User.email == email)))


def test_partner_sees_exactly_its_own_customers(demo):
    with demo() as s:
        volt = _user(s, "admin@voltpartners.example")
        assert names(s, Customer, volt) == {"Acme Logistics"}
        assert names(s, Partner, volt) == {"VoltPartners"}
        assert names(s, ChargingPoint, volt) == {
            "ACME-DEPOT-01", "ACME-DEPOT-02", "ACME-DEPOT-03", "ACME-HOME-001"
        }
        right = _user(s, "admin@chargeright.example")
        assert names(s, Customer, right) == {"Parkeergarage Centrum"}
        assert not names(s, ChargingPoint, right) & names(s, ChargingPoint, volt)
        # The customer directly under the platform is nobody's partner's business.
        assert "KORF-01" not in names(s, ChargingPoint, volt) | names(s, ChargingPoint, right)


def test_customer_admin_sees_its_customer_including_suborganizations(demo):
    with demo() as s:
        acme = _user(s, "admin@acme.example")
        assert names(s, Organization, acme) == {"Acme Logistics B.V.", "Jan de Vries"}
        assert names(s, Partner, acme) == set()
        assert names(s, Customer, acme) == {"Acme Logistics"}
        assert "PARK-P1-01" not in names(s, ChargingPoint, acme)
        assert names(s, ChargingCard, acme) == {"ACME-JAN-01", "ACME-OLD-07"}


def test_employee_sees_only_its_own_suborganization(demo):
    with demo() as s:
        jan = _user(s, "jan@acme.example")
        assert names(s, Organization, jan) == {"Jan de Vries"}
        assert names(s, Location, jan) == {"Home Jan"}
        assert names(s, ChargingPoint, jan) == {"ACME-HOME-001"}
        # The company card he holds, but not the employer's other cards.
        assert names(s, ChargingCard, jan) == {"ACME-JAN-01"}


def test_platform_sees_everything_including_public_tokens(demo):
    with demo() as s:
        admin = _user(s, "admin@energycloud.example")
        assert "NL-TNM-C00122045-K" in names(s, ChargingCard, admin)
        for email in ("admin@voltpartners.example", "admin@acme.example", "jan@acme.example"):
            assert "NL-TNM-C00122045-K" not in names(s, ChargingCard, _user(s, email))


ROLE_ACTIONS = {
    Role.PLATFORM_ADMIN: set(Action),
    Role.PLATFORM_FINANCE: {Action.READ, Action.FINANCE, Action.MONEY_SETTINGS},
    Role.PARTNER_ADMIN: {Action.READ, Action.REMOTE_ACTION, Action.MANAGE, Action.MONEY_SETTINGS},
    Role.PARTNER_SUPPORT: {Action.READ, Action.REMOTE_ACTION, Action.MANAGE},
    Role.CUSTOMER_ADMIN: {Action.READ, Action.REMOTE_ACTION, Action.MANAGE, Action.MONEY_SETTINGS},
    Role.CUSTOMER_USER: {Action.READ, Action.REMOTE_ACTION},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_actions_inside_and_outside_the_subtree(role, action):
    who = Principal(user_id=1, role=role, partner_id=1, customer_id=10, organization_id=100)
    if role in (Role.PLATFORM_ADMIN, Role.PLATFORM_FINANCE):
        who = Principal(user_id=1, role=role)
    if role in (Role.PARTNER_ADMIN, Role.PARTNER_SUPPORT):
        who = Principal(user_id=1, role=role, partner_id=1)
    inside = Placement(partner_id=1, customer_id=10, organization_id=100)
    outside = Placement(partner_id=2, customer_id=20, organization_id=200)
    assert may(who, action, inside) == (action in ROLE_ACTIONS[role])
    expected_outside = role in (Role.PLATFORM_ADMIN, Role.PLATFORM_FINANCE) and (
        action in ROLE_ACTIONS[role]
    )
    assert may(who, action, outside) == expected_outside
