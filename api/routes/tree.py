"""Partners, customers, organizations (main and sub) and locations."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ScopedQuery
from api.routes.resources import (
    ERRORS,
    Ref,
    Resource,
    add_create,
    add_read_update_deactivate,
    created,
)
from api.schemas.tree import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    LocationIn,
    LocationOut,
    LocationPatch,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    PartnerIn,
    PartnerOut,
    PartnerPatch,
)
from db import tree_service as tree
from db.models import Customer, Location, Organization, Partner
from domain.errors import Invalid
from domain.visibility import PARTNER_ROLES, Action

router = APIRouter()

PARTNERS = Resource(
    "partners", "partner", Partner, PartnerOut, PartnerPatch,
    money_fields=frozenset({"roaming_fee_per_kwh", "subscription_kickback_percent", "iban",
                            "vat_id"}),
    platform_fields=frozenset({"roaming_fee_per_kwh", "subscription_kickback_percent",
                               "domain"}),
)
CUSTOMERS = Resource("customers", "customer", Customer, CustomerOut, CustomerPatch)
ORGANIZATIONS = Resource(
    "organizations", "organization", Organization, OrganizationOut, OrganizationPatch,
    money_fields=frozenset({"rate_id", "rate_inherited", "iban", "vat_id"}),
)
LOCATIONS = Resource(
    "locations", "location", Location, LocationOut, LocationPatch,
    money_fields=frozenset({"rate_id", "rate_inherited"}),
)


add_create(router, PARTNERS, PartnerIn, tree.create_partner, name="create_partner",
           tag="partners", summary="Add a partner (platform only)", platform_may="add partners")


@router.post("/customers", response_model=CustomerOut, status_code=201, tags=["customers"],
             responses=ERRORS, summary="Onboard a customer under a partner")
def create_customer(body: CustomerIn, scoped: ScopedQuery) -> CustomerOut:
    """A partner's staff onboard customers under their own partner; the platform
    under any partner (`partner_id`)."""
    scoped.require(Action.MANAGE)
    caller = scoped.caller
    if caller.role in PARTNER_ROLES:
        partner_id = body.partner_id or caller.partner_id
        scoped.get(Partner, partner_id, "partner")
    elif scoped.is_platform:
        partner_id = body.partner_id
        scoped.get_given(Partner, partner_id, "partner")
    else:
        scoped.require_platform("add customers", admin=False)
    row = tree.create_customer(scoped.db, name=body.name, partner_id=partner_id)
    return created(scoped, CUSTOMERS, row)


add_create(router, ORGANIZATIONS, OrganizationIn, tree.create_organization,
           name="create_organization", tag="organizations",
           summary="Add an organization or a suborganization",
           refs=(Ref("customer_id", Customer, "customer"),
                 Ref("parent_id", Organization, "organization")))


@router.post("/locations", response_model=LocationOut, status_code=201, tags=["locations"],
             responses=ERRORS, summary="Add a location under an organization")
def create_location(body: LocationIn, scoped: ScopedQuery) -> LocationOut:
    scoped.require(Action.MANAGE)
    org = scoped.get(Organization, body.organization_id, "organization")
    if body.rate_id is not None and body.rate_inherited:
        raise Invalid("give a rate_id or rate_inherited=true, not both", code="invalid.rate")
    row = tree.create_location(scoped.db, customer_id=org.customer_id,
                               **body.model_dump(exclude_none=True))
    return created(scoped, LOCATIONS, row)


for _resource in (PARTNERS, CUSTOMERS, ORGANIZATIONS, LOCATIONS):
    add_read_update_deactivate(router, _resource)
