"""The tree's use cases, one import path for callers: `from db import tree_service
as tree`. They live per entity in `db/tree/` (partners, rates, organizations,
charging points, users, cards); refusals are the `TreeError` family."""

from __future__ import annotations

from db.tree.cards import (
    create_emsp,
    issue_organization_card,
    register_public_token,
    whitelist_card,
)
from db.tree.changes import deactivate_row, update_row
from db.tree.charging_points import add_charging_point
from db.tree.errors import TreeConflict, TreeError, TreeNotFound, TreeOtherCustomer
from db.tree.organizations import create_location, create_organization
from db.tree.partners import create_customer, create_partner
from db.tree.rates import create_plan, create_rate
from db.tree.users import create_user

__all__ = [
    "TreeConflict",
    "TreeError",
    "TreeNotFound",
    "TreeOtherCustomer",
    "add_charging_point",
    "create_customer",
    "create_emsp",
    "create_location",
    "create_organization",
    "create_partner",
    "create_plan",
    "create_rate",
    "create_user",
    "deactivate_row",
    "issue_organization_card",
    "register_public_token",
    "update_row",
    "whitelist_card",
]
