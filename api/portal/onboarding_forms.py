"""What the onboarding forms offer to choose from, read through `Scoped`: the
caller's own customers, organizations, locations, users and rates."""

from __future__ import annotations

from api.scoped import Scoped
from db.models import Customer, Location, Organization, Partner, Rate, SubscriptionPlan, User
from domain.enums import AccessMode, Role

TITLES = {
    "customer": "Add a customer",
    "organization": "Add an organization",
    "location": "Add a location",
    "charging-point": "Add a charging point",
    "user": "Add a user",
    "card": "Issue a charging card",
}
NOUNS = {"customer": "Customer", "organization": "Organization", "location": "Location",
         "charging-point": "Charging point", "user": "User", "card": "Card"}
ACCESS_MODES = [
    (AccessMode.WHITELISTING.value, "Whitelisting — only the organization's own cards"),
    (AccessMode.ROAMING_WHITELISTING.value, "Roaming & whitelisting — own cards and public tokens"),
    (AccessMode.ROAMING.value, "Roaming — public tokens only"),
    (AccessMode.OPEN.value, "Open — anyone, free"),
]


def _pairs(scoped: Scoped, model, label, *where) -> list[tuple[int, str]]:
    query = scoped.select(model).with_only_columns(model.id, label).where(*where).order_by(label)
    return [(row[0], row[1]) for row in scoped.db.execute(query)]


def options(scoped: Scoped, kind: str) -> dict:
    result: dict = {"access_modes": ACCESS_MODES}
    if kind == "customer" and scoped.is_platform:
        result["partners"] = _pairs(scoped, Partner, Partner.name)
    if kind == "organization":
        result["customers"] = _pairs(scoped, Customer, Customer.name)
        result["parents"] = _pairs(scoped, Organization, Organization.name,
                                   Organization.parent_id.is_(None))
    if kind in ("organization", "location"):
        result["rates"] = _pairs(scoped, Rate, Rate.name, Rate.customer_id.is_not(None))
    if kind in ("location", "user", "card"):
        result["organizations"] = _pairs(scoped, Organization, Organization.name)
    if kind == "charging-point":
        result["locations"] = _pairs(scoped, Location, Location.name)
        result["plans"] = [
            (p.id, f"{p.name} (€ {p.monthly_fee_cents // 100}.{p.monthly_fee_cents % 100:02d}"
                   " / month)")
            for p in scoped.db.scalars(
                scoped.select(SubscriptionPlan).order_by(SubscriptionPlan.name))
        ]
    if kind == "card":
        result["users"] = _pairs(scoped, User, User.name, User.role == Role.CUSTOMER_USER)
    return result
