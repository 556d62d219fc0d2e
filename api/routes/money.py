"""Rates (OCPI 2.2.1 tariffs), subscription plans, eMSPs and their public tokens."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ScopedQuery
from api.pagination import Page, PageDep, paginate
from api.routes.resources import ERRORS, Resource, add_create, add_read_update_deactivate, created
from api.schemas.common import PathId
from api.schemas.money import (
    EmspIn,
    EmspOut,
    EmspPatch,
    PlanIn,
    PlanOut,
    PlanPatch,
    RateIn,
    RateOut,
    RatePatch,
    TokenIn,
)
from api.schemas.people import CardOut
from db import tree_service as tree
from db.models import ChargingCard, Customer, Emsp, Rate, SubscriptionPlan
from domain.visibility import Action

router = APIRouter()

RATES = Resource("rates", "rate", Rate, RateOut, RatePatch, action=Action.MONEY_SETTINGS,
                 money_fields=frozenset({"name", "tariff", "compensation_per_kwh"}))
PLANS = Resource("plans", "plan", SubscriptionPlan, PlanOut, PlanPatch, platform_only=True,
                 action=Action.MONEY_SETTINGS, sortable=("id", "name", "monthly_fee_cents"))
EMSPS = Resource("emsps", "eMSP", Emsp, EmspOut, EmspPatch, platform_only=True,
                 sortable=("id", "name"))


@router.post("/rates", response_model=RateOut, status_code=201, tags=["rates"],
             responses=ERRORS, summary="Add a rate (OCPI 2.2.1 tariff)")
def create_rate(body: RateIn, scoped: ScopedQuery) -> RateOut:
    """A customer's own rate (`customer_id`) or, for the platform, a shared one."""
    scoped.require(Action.MONEY_SETTINGS)
    if body.customer_id is None:
        scoped.require_platform("add platform rates", admin=False)
    else:
        scoped.get(Customer, body.customer_id, "customer")
    row = tree.create_rate(scoped.db, **body.model_dump(exclude_none=True))
    return created(scoped, RATES, row)


@router.post("/plans", response_model=PlanOut, status_code=201, tags=["plans"],
             responses=ERRORS, summary="Add a subscription plan (platform)")
def create_plan(body: PlanIn, scoped: ScopedQuery) -> PlanOut:
    scoped.require_platform("add subscription plans", admin=False)
    scoped.require(Action.MONEY_SETTINGS)
    row = tree.create_plan(scoped.db, **body.model_dump())
    return created(scoped, PLANS, row)


add_create(router, EMSPS, EmspIn, tree.create_emsp, name="create_emsp", tag="emsps",
           summary="Add a roaming eMSP (platform)", platform_may="add eMSPs")


@router.post("/emsps/{item_id}/tokens", response_model=CardOut, status_code=201,
             tags=["emsps"], responses=ERRORS, summary="Register an eMSP's public token")
def register_token(item_id: PathId, body: TokenIn, scoped: ScopedQuery) -> CardOut:
    scoped.get(Emsp, item_id, "eMSP")
    scoped.require_platform("register eMSP tokens")
    row = tree.register_public_token(scoped.db, emsp_id=item_id,
                                     **body.model_dump(exclude_none=True))
    from api.routes.people import CARDS

    return created(scoped, CARDS, row)


@router.get("/emsps/{item_id}/tokens", response_model=Page[CardOut], tags=["emsps"],
            responses=ERRORS, summary="An eMSP's public tokens")
def list_tokens(item_id: PathId, scoped: ScopedQuery, page: PageDep) -> Page[CardOut]:
    scoped.get(Emsp, item_id, "eMSP")
    query = scoped.select(ChargingCard).where(ChargingCard.emsp_id == item_id)
    return paginate(scoped.db, query.order_by(ChargingCard.id), page, CardOut.model_validate)


for _resource in (RATES, PLANS, EMSPS):
    add_read_update_deactivate(router, _resource)
