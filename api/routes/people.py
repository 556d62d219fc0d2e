"""Users, charging cards and whitelist entries."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ScopedQuery
from api.pagination import Page, PageDep, paginate, sorted_by
from api.routes.resources import (
    ERRORS,
    FiltersDep,
    Ref,
    Resource,
    add_create,
    add_read_update_deactivate,
    apply_filters,
    created,
)
from api.schemas.common import PathId
from api.schemas.people import (
    CardIn,
    CardOut,
    CardPatch,
    UserIn,
    UserOut,
    UserPatch,
    WhitelistIn,
    WhitelistOut,
)
from db import audit
from db import tree_service as tree
from db.models import (
    ChargingCard,
    ChargingPoint,
    Customer,
    Location,
    Organization,
    Partner,
    User,
    WhitelistEntry,
)
from domain.enums import Role
from domain.errors import Invalid, NotAllowed
from domain.visibility import PARTNER_ROLES, PLATFORM_ROLES, Action

router = APIRouter()

USERS = Resource("users", "user", User, UserOut, UserPatch,
                 sortable=("id", "name", "email", "created_at"))
CARDS = Resource("cards", "card", ChargingCard, CardOut, CardPatch,
                 sortable=("id", "uid", "label", "created_at"), search="label")
WHITELISTS = Resource("whitelist-entries", "whitelist entry", WhitelistEntry, WhitelistOut,
                      sortable=("id", "created_at"), search=None)

# Which roles a caller may give a new user (never more than its own reach).
GRANTABLE = {
    Role.PLATFORM_ADMIN: frozenset(Role),
    Role.PARTNER_ADMIN: frozenset({Role.PARTNER_ADMIN, Role.PARTNER_SUPPORT,
                                   Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER}),
    Role.PARTNER_SUPPORT: frozenset({Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER}),
    Role.CUSTOMER_ADMIN: frozenset({Role.CUSTOMER_ADMIN, Role.CUSTOMER_USER}),
}


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"],
             responses=ERRORS, summary="Add a login")
def create_user(body: UserIn, scoped: ScopedQuery) -> UserOut:
    scoped.require(Action.MANAGE)
    caller = scoped.caller
    if body.role not in GRANTABLE.get(caller.role, frozenset()):
        raise NotAllowed(f"A {caller.role.value} may not create {body.role.value} users.",
                         code="forbidden.role")
    # The new user's place must be inside the caller's subtree.
    scoped.get_given(Partner, body.partner_id, "partner")
    scoped.get_given(Customer, body.customer_id, "customer")
    scoped.get_given(Organization, body.organization_id, "organization")
    data = body.model_dump(exclude_none=True)
    if body.role in PARTNER_ROLES and caller.role in PARTNER_ROLES:
        data["partner_id"] = caller.partner_id
    if body.role in PLATFORM_ROLES:
        data.pop("partner_id", None), data.pop("customer_id", None)
        data.pop("organization_id", None)
    elif body.role not in PARTNER_ROLES:
        data.pop("partner_id", None)
        if body.customer_id is None and body.organization_id is None:
            if caller.customer_id is None:
                raise Invalid("a customer user needs a customer_id or organization_id",
                              code="invalid.user_place")
            data["customer_id"] = caller.customer_id
    else:
        data.pop("customer_id", None), data.pop("organization_id", None)
    row = tree.create_user(scoped.db, **data)
    return created(scoped, USERS, row)


add_create(router, CARDS, CardIn, tree.issue_organization_card, name="create_card",
           tag="cards", summary="Issue an organization card", refs=(
               Ref("organization_id", Organization, "organization"),
               Ref("user_id", User, "user"),
               Ref("reimbursable_for_organization_id", Organization, "organization")))


for _resource in (USERS, CARDS):
    add_read_update_deactivate(router, _resource)


@router.get("/whitelist-entries", response_model=Page[WhitelistOut], tags=["whitelists"],
            responses=ERRORS, summary="Cards whitelisted at locations or charging points")
def list_whitelist(scoped: ScopedQuery, page: PageDep, filters: FiltersDep):
    query = apply_filters(scoped.select(WhitelistEntry), WHITELISTS, filters)
    query = sorted_by(query, page, {"id": WhitelistEntry.id,
                                    "created_at": WhitelistEntry.created_at}, WhitelistEntry.id)
    return paginate(scoped.db, query, page, WhitelistOut.model_validate)


add_create(router, WHITELISTS, WhitelistIn, tree.whitelist_card, name="create_whitelist",
           tag="whitelists", summary="Whitelist a card at a location or a charging point",
           refs=(Ref("card_id", ChargingCard, "card"), Ref("location_id", Location, "location"),
                 Ref("charging_point_id", ChargingPoint, "charging point")))


@router.delete("/whitelist-entries/{item_id}", status_code=204, tags=["whitelists"],
               responses=ERRORS, summary="Remove a card from a whitelist")
def delete_whitelist(item_id: PathId, scoped: ScopedQuery) -> Response:
    row = scoped.get(WhitelistEntry, item_id, "whitelist entry")
    scoped.require(Action.MANAGE)
    before = audit.snapshot(row)
    place = {}
    if row.location_id is not None:
        place = {"location_id": row.location_id,
                 "customer_id": scoped.db.get(Location, row.location_id).customer_id}
    else:
        place = {"customer_id": scoped.db.get(ChargingPoint, row.charging_point_id).customer_id}
    scoped.db.delete(row)
    audit.record(scoped.db, principal=scoped.caller, action="whitelist_entry.delete",
                 object_type="whitelist_entry", object_id=item_id, before=before, after=None,
                 place=place)
    scoped.db.commit()
    return Response(status_code=204)


