"""The read / update / deactivate endpoints every tree resource shares, built
from a `Resource` description; each resource module adds its create (the tree
service's use case: `add_create` where the body's references are all it checks)
and extras. Reads go through `ScopedQuery`, so a row
outside the caller's subtree answers 404; changes are audited."""

# No `from __future__ import annotations`: the endpoints are closures whose body
# types FastAPI must see as classes, not as strings.

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import ScopedQuery
from api.errors import ERROR_RESPONSES
from api.pagination import Page, PageDep, paginate, sorted_by
from api.schemas.common import MAX_ID, PathId
from db import audit
from db import tree_service as tree
from db.models import User
from domain.errors import Conflict, Invalid
from domain.visibility import Action

ERRORS = ERROR_RESPONSES

FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class TreeFilters(BaseModel):
    partner_id: int | None = None
    customer_id: int | None = None
    organization_id: int | None = None
    parent_id: int | None = None
    location_id: int | None = None
    charging_point_id: int | None = None
    user_id: int | None = None
    card_id: int | None = None
    q: str | None = None
    include_inactive: bool = False


async def tree_filters(
    partner_id: FilterId = None,
    customer_id: FilterId = None,
    organization_id: FilterId = None,
    parent_id: FilterId = None,
    location_id: FilterId = None,
    charging_point_id: FilterId = None,
    user_id: FilterId = None,
    card_id: FilterId = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains (any case).",
                                   pattern=r"^[^\x00]*$")] = None,
    include_inactive: Annotated[bool, Query(description="Also deactivated rows.")] = False,
) -> TreeFilters:
    return TreeFilters(
        partner_id=partner_id, customer_id=customer_id, organization_id=organization_id,
        parent_id=parent_id, location_id=location_id, charging_point_id=charging_point_id,
        user_id=user_id, card_id=card_id, q=q, include_inactive=include_inactive,
    )


FiltersDep = Annotated[TreeFilters, Depends(tree_filters)]


@dataclass(frozen=True)
class Resource:
    path: str  # URL segment, e.g. "locations"
    what: str  # a person's word, e.g. "location"
    model: type
    out: type[BaseModel]
    patch: type[BaseModel] | None = None
    # Changing any of these needs the money-settings permission.
    money_fields: frozenset[str] = frozenset()
    # Changing any of these (or anything, when None is given) is the platform's.
    platform_fields: frozenset[str] = frozenset()
    platform_only: bool = False
    action: Action = Action.MANAGE
    sortable: tuple[str, ...] = ("id", "name", "created_at")
    search: str | None = "name"
    extra: dict = field(default_factory=dict)

    @property
    def object_type(self) -> str:
        return self.what.replace(" ", "_")


def apply_filters(query, res: Resource, filters: TreeFilters):
    model = res.model
    for name in ("partner_id", "customer_id", "organization_id", "parent_id", "location_id",
                 "charging_point_id", "user_id", "card_id"):
        value = getattr(filters, name)
        if value is None:
            continue
        if not hasattr(model, name):
            raise Invalid(f"{res.path} cannot be filtered by {name}", code="invalid.filter")
        query = query.where(getattr(model, name) == value)
    if filters.q:
        if res.search is None:
            raise Invalid(f"{res.path} cannot be searched by name", code="invalid.filter")
        query = query.where(getattr(model, res.search).ilike(f"%{filters.q}%"))
    if not filters.include_inactive and hasattr(model, "active"):
        query = query.where(model.active.is_(True))
    return query


def check_change(scoped, res: Resource, changed: set[str]) -> None:
    if res.platform_only:
        scoped.require_platform(f"change {res.what}s")
    scoped.require(res.action)
    if changed & res.money_fields:
        scoped.require(Action.MONEY_SETTINGS)
    if changed & res.platform_fields:
        scoped.require_platform(f"change {', '.join(sorted(changed & res.platform_fields))}")


def record(scoped, res: Resource, action: str, row, before: dict | None) -> None:
    audit.record(scoped.db, principal=scoped.caller, action=f"{res.object_type}.{action}",
                 object_type=res.object_type, object_id=row.id, before=before,
                 after=audit.snapshot(row))


def created(scoped, res: Resource, row):
    """Audit and commit a row a create endpoint added; its answer."""
    record(scoped, res, "create", row, None)
    scoped.db.commit()
    scoped.db.refresh(row)
    return res.out.model_validate(row)


@dataclass(frozen=True)
class Ref:
    """A create body's field naming another row: the caller must see that row."""

    field: str
    model: type
    what: str


def add_create(router: APIRouter, res: Resource, body_type: type[BaseModel], make, *,
               name: str, tag: str, summary: str, refs: tuple[Ref, ...] = (),
               platform_may: str | None = None) -> None:
    """POST /<path>: a caller who may manage (with `platform_may`: a platform
    administrator, "Only the platform may <platform_may>."), and sees every row
    the body's `refs` name (404 otherwise), adds the row with `make(db, **body)`;
    audited."""

    @router.post(f"/{res.path}", response_model=res.out, status_code=201, tags=[tag],
                 responses=ERRORS, summary=summary, name=name)
    def create(body: body_type, scoped: ScopedQuery):  # type: ignore[valid-type]
        if platform_may is not None:
            scoped.require_platform(platform_may)
        else:
            scoped.require(Action.MANAGE)
        for ref in refs:
            scoped.get_given(ref.model, getattr(body, ref.field), ref.what)
        return created(scoped, res, make(scoped.db, **body.model_dump(exclude_none=True)))


def add_read_update_deactivate(router: APIRouter, res: Resource) -> None:
    Out, Patch = res.out, res.patch
    sortable = {name: getattr(res.model, name) for name in res.sortable}
    tags = [res.path]

    @router.get(f"/{res.path}", response_model=Page[Out], tags=tags, responses=ERRORS,
                summary=f"List {res.what}s", operation_id=f"list_{res.path}")
    def list_rows(scoped: ScopedQuery, page: PageDep, filters: FiltersDep):
        query = apply_filters(scoped.select(res.model), res, filters)
        query = sorted_by(query, page, sortable, res.model.id)
        return paginate(scoped.db, query, page, Out.model_validate)

    @router.get(f"/{res.path}/{{item_id}}", response_model=Out, tags=tags, responses=ERRORS,
                summary=f"One {res.what}", operation_id=f"get_{res.object_type}")
    def get_row(item_id: PathId, scoped: ScopedQuery):
        return Out.model_validate(scoped.get(res.model, item_id, res.what))

    if Patch is not None:
        @router.patch(f"/{res.path}/{{item_id}}", response_model=Out, tags=tags,
                      responses=ERRORS, summary=f"Change a {res.what}",
                      operation_id=f"update_{res.object_type}")
        def update(item_id: PathId, body: Patch, scoped: ScopedQuery):  # type: ignore[valid-type]
            row = scoped.get(res.model, item_id, res.what)
            changes = body.model_dump(exclude_unset=True)
            check_change(scoped, res, set(changes))
            before = audit.snapshot(row)
            tree.update_row(scoped.db, row=row, changes=changes)
            record(scoped, res, "update", row, before)
            scoped.db.commit()
            return Out.model_validate(row)

    @router.post(f"/{res.path}/{{item_id}}/deactivate", response_model=Out, tags=tags,
                 responses=ERRORS, summary=f"Deactivate a {res.what}",
                 operation_id=f"deactivate_{res.object_type}")
    def deactivate(item_id: PathId, scoped: ScopedQuery):
        row = scoped.get(res.model, item_id, res.what)
        check_change(scoped, res, set())
        if res.model is User and row.id == scoped.caller.user_id:
            raise Conflict("You cannot deactivate your own login; ask another administrator.",
                           code="users.self")
        before = audit.snapshot(row)
        tree.deactivate_row(scoped.db, row=row)
        record(scoped, res, "deactivate", row, before)
        scoped.db.commit()
        return Out.model_validate(row)
