"""Who may see and do what (DOMAIN.md §1).

Visibility is a subtree: platform roles see everything; a partner's users see
exactly their own customers' subtrees; a customer admin sees its own customer;
a customer user sees its own organization (an employee: its own
suborganization; a main organization's user: the organization and its
suborganizations). What a role may *do* inside its subtree is a second,
separate question (`may`). Outside the subtree the answer is always "not
found", never "forbidden", so nothing leaks existence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.enums import Role


class Action(StrEnum):
    READ = "read"
    REMOTE_ACTION = "remote_action"  # OCPP commands on charging points / connectors
    MANAGE = "manage"  # onboard and edit organizations, locations, points, users, cards
    MONEY_SETTINGS = "money_settings"  # rates, compensation, fees, bank accounts
    FINANCE = "finance"  # review and approve settlements, payouts


PLATFORM_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.PLATFORM_FINANCE})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_SUPPORT})

_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.PLATFORM_ADMIN: frozenset(Action),
    Role.PLATFORM_FINANCE: frozenset({Action.READ, Action.FINANCE, Action.MONEY_SETTINGS}),
    Role.PARTNER_ADMIN: frozenset(
        {Action.READ, Action.REMOTE_ACTION, Action.MANAGE, Action.MONEY_SETTINGS}
    ),
    # First-line support: read everything of its customers, run remote actions,
    # onboard, but no money settings (DOMAIN.md §1).
    Role.PARTNER_SUPPORT: frozenset({Action.READ, Action.REMOTE_ACTION, Action.MANAGE}),
    Role.CUSTOMER_ADMIN: frozenset(
        {Action.READ, Action.REMOTE_ACTION, Action.MANAGE, Action.MONEY_SETTINGS}
    ),
    Role.CUSTOMER_USER: frozenset({Action.READ, Action.REMOTE_ACTION}),
}


@dataclass(frozen=True)
class Principal:
    """A logged-in user reduced to what scoping needs."""

    user_id: int
    role: Role
    partner_id: int | None = None
    customer_id: int | None = None
    organization_id: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where an object hangs in the tree. Fields that do not apply are None: a
    partner has only `partner_id`; a customer adds `customer_id`; anything under
    an organization adds `organization_id` and, for suborganizations' objects,
    `main_organization_id`."""

    partner_id: int | None = None
    customer_id: int | None = None
    organization_id: int | None = None
    main_organization_id: int | None = None
    # True for objects only the platform manages (eMSPs, public tokens, plans).
    platform_only: bool = False


def can_see(who: Principal, what: Placement) -> bool:
    if who.role in PLATFORM_ROLES:
        return True
    if what.platform_only:
        return False
    if who.role in PARTNER_ROLES:
        return what.partner_id is not None and what.partner_id == who.partner_id
    if what.customer_id is None or what.customer_id != who.customer_id:
        return False
    if who.role == Role.CUSTOMER_ADMIN:
        return True
    # customer_user: its own organization and, for a main organization, its suborganizations.
    if what.organization_id is None:
        return False
    return who.organization_id in (what.organization_id, what.main_organization_id)


def may(who: Principal, action: Action, what: Placement) -> bool:
    """Inside the subtree and allowed by the role."""
    return can_see(who, what) and action in _ALLOWED[who.role]


def allowed_actions(role: Role) -> frozenset[Action]:
    return _ALLOWED[role]
