"""Charging points and connectors: pre-approve or claim (onboarding), read and
change, effective rate and access mode with their source, live status and
status history, remote actions with their recorded outcomes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.deps import ScopedQuery, get_temporal_client
from api.pagination import Page, PageDep, paginate
from api.routes.resources import ERRORS, Resource, add_read_update_deactivate, created
from api.schemas.common import PathId
from api.schemas.points import (
    ClaimIn,
    CommandOut,
    ConnectorStatus,
    EffectiveAccessMode,
    EffectiveRate,
    EffectiveSettings,
    LiveStatus,
    RemoteAction,
    StatusChange,
)
from api.schemas.tree import (
    ChargingPointIn,
    ChargingPointOut,
    ChargingPointPatch,
    ConnectorOut,
    ConnectorPatch,
)
from db import audit
from db import tree_service as tree
from db.facts import access_mode_of, rate_of
from db.models import (
    ChargingPoint,
    ChargingPointStatus,
    ConnectorStatusHistory,
    Location,
    RemoteCommand,
)
from domain.errors import Conflict, DomainError, Invalid, NotFound
from domain.visibility import Action

log = logging.getLogger(__name__)
router = APIRouter(tags=["charging-points"])

POINTS = Resource(
    "charging-points", "charging point", ChargingPoint, ChargingPointOut, ChargingPointPatch,
    money_fields=frozenset({"rate_id", "rate_inherited", "subscription_plan_id"}),
    sortable=("id", "name", "ocpp_id", "created_at", "last_seen_at"),
)
POINTS_PATH = "/charging-points/{item_id}"
ConnectorNumber = Annotated[int, Path(ge=1, le=64)]


class ServiceMissing(DomainError):
    code = "unavailable"


def _service(request: Request, name: str, what: str):
    service = getattr(request.app.state.services, name)
    if service is None:
        raise ServiceMissing(f"{what} is not available in this API process.")
    return service


@router.post("/charging-points", response_model=ChargingPointOut, status_code=201,
             responses=ERRORS, summary="Pre-approve a charging point by its OCPP id")
def pre_approve(body: ChargingPointIn, scoped: ScopedQuery) -> ChargingPointOut:
    """Onboarding scenario 1: reserve the OCPP id under a location; the charger's
    first accepted BootNotification completes onboarding."""
    scoped.require(Action.MANAGE)
    location = scoped.get(Location, body.location_id, "location")
    if body.rate_id is not None or body.subscription_plan_id is not None:
        scoped.require(Action.MONEY_SETTINGS)
    row = tree.add_charging_point(scoped.db, customer_id=location.customer_id,
                                  **body.model_dump(exclude_none=True))
    return created(scoped, POINTS, row)


@router.post("/charging-points/claim", response_model=ChargingPointOut, status_code=201,
             responses=ERRORS,
             summary="Claim a charger that is energized and connected now")
def claim(body: ClaimIn, request: Request, scoped: ScopedQuery) -> ChargingPointOut:
    """Onboarding scenario 2: the charger is online as *pending*; prove possession
    with its password or claim code. A charger that is not connected is refused
    with what to do instead."""
    scoped.require(Action.MANAGE)
    location = scoped.get(Location, body.location_id, "location")
    claim_charger = _service(request, "claim_charger", "Claiming a connected charger")
    proof = body.model_dump(exclude_none=True, include={"password", "claim_code"})
    try:
        row = claim_charger(
            scoped.db, ocpp_id=body.ocpp_id, customer_id=location.customer_id,
            location_id=location.id, name=body.name or "",
            subscription_plan_id=body.subscription_plan_id, **proof,
        )
    except DomainError:
        raise
    except ValueError as exc:  # the onboarding refusals carry the sentence
        scoped.db.rollback()
        raise Conflict(str(exc), code=f"onboarding.{type(exc).__name__}") from exc
    return created(scoped, POINTS, row)


add_read_update_deactivate(router, POINTS)


@router.get(POINTS_PATH + "/connectors", response_model=list[ConnectorOut], responses=ERRORS,
            summary="The charging point's connectors")
def connectors(item_id: PathId, scoped: ScopedQuery) -> list[ConnectorOut]:
    cp = scoped.get(ChargingPoint, item_id, "charging point")
    return [ConnectorOut.model_validate(c) for c in cp.connectors]


def _connector(scoped, item_id: int, number: int):
    cp = scoped.get(ChargingPoint, item_id, "charging point")
    for connector in cp.connectors:
        if connector.number == number:
            return cp, connector
    raise NotFound(f"charging point {cp.ocpp_id} has no connector {number}",
                   code="connectors.not_found")


def _audit_connector(scoped, cp, connector, action: str, before: dict) -> None:
    audit.record(scoped.db, principal=scoped.caller, action=f"connector.{action}",
                 object_type="connector", object_id=connector.id, before=before,
                 after=audit.snapshot(connector),
                 place={"customer_id": cp.customer_id, "location_id": cp.location_id})


@router.patch(POINTS_PATH + "/connectors/{number}", response_model=ConnectorOut,
              responses=ERRORS, summary="Change a connector")
def update_connector(item_id: PathId, number: ConnectorNumber, body: ConnectorPatch,
                     scoped: ScopedQuery) -> ConnectorOut:
    cp, connector = _connector(scoped, item_id, number)
    scoped.require(Action.MANAGE)
    before = audit.snapshot(connector)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            raise Invalid(f"{name} cannot be empty", code="invalid.connector")
        setattr(connector, name, value)
    _audit_connector(scoped, cp, connector, "update", before)
    scoped.db.commit()
    return ConnectorOut.model_validate(connector)


@router.post(POINTS_PATH + "/connectors/{number}/deactivate", response_model=ConnectorOut,
             responses=ERRORS, summary="Deactivate a connector (it stays in the history)")
def deactivate_connector(item_id: PathId, number: ConnectorNumber,
                         scoped: ScopedQuery) -> ConnectorOut:
    cp, connector = _connector(scoped, item_id, number)
    scoped.require(Action.MANAGE)
    before = audit.snapshot(connector)
    connector.active = False
    _audit_connector(scoped, cp, connector, "deactivate", before)
    scoped.db.commit()
    return ConnectorOut.model_validate(connector)


@router.get(POINTS_PATH + "/effective-settings", response_model=EffectiveSettings,
            responses=ERRORS, summary="Effective rate and access mode, with their source")
def effective_settings(item_id: PathId, scoped: ScopedQuery) -> EffectiveSettings:
    cp = scoped.get(ChargingPoint, item_id, "charging point")
    if cp.location is None:
        raise Invalid("a pending charging point has no settings until it is claimed",
                      code="charging_point.pending")
    rate, mode = rate_of(cp), access_mode_of(cp)
    common = lambda e, what: dict(  # noqa: E731
        source=e.source, source_id=e.source_id, source_name=e.source_name,
        inherited=e.inherited, description=e.describe(what))
    return EffectiveSettings(
        rate=EffectiveRate(rate_id=rate.value.id, rate_name=rate.value.name,
                           tariff=rate.value.tariff, **common(rate, "rate")),
        access_mode=EffectiveAccessMode(access_mode=mode.value,
                                        **common(mode, "access mode")),
    )


@router.get(POINTS_PATH + "/status", response_model=LiveStatus, responses=ERRORS,
            summary="Live status of the charging point and its connectors")
def live_status(item_id: PathId, scoped: ScopedQuery) -> LiveStatus:
    cp = scoped.get(ChargingPoint, item_id, "charging point")
    point_status = scoped.db.scalar(
        select(ChargingPointStatus).where(ChargingPointStatus.charging_point_id == cp.id))
    return LiveStatus(
        charging_point_id=cp.id, ocpp_id=cp.ocpp_id, state=cp.state.value, online=cp.online,
        last_seen_at=cp.last_seen_at,
        status=point_status.status if point_status else None,
        status_at=point_status.status_at if point_status else None,
        connectors=[ConnectorStatus(number=c.number, status=c.status, status_at=c.status_at)
                    for c in cp.connectors],
    )


@router.get(POINTS_PATH + "/status-history", response_model=Page[StatusChange],
            responses=ERRORS, summary="Status changes, newest first")
def status_history(
    item_id: PathId, scoped: ScopedQuery, page: PageDep,
    connector: Annotated[int | None, Query(ge=0, le=64)] = None,
) -> Page[StatusChange]:
    cp = scoped.get(ChargingPoint, item_id, "charging point")
    query = scoped.select(ConnectorStatusHistory).where(
        ConnectorStatusHistory.charging_point_id == cp.id)
    if connector is not None:
        query = query.where(ConnectorStatusHistory.connector == connector)
    query = query.order_by(ConnectorStatusHistory.reported_at.desc(),
                           ConnectorStatusHistory.id.desc())
    return paginate(scoped.db, query, page, StatusChange.model_validate)


@router.get(POINTS_PATH + "/commands", response_model=Page[CommandOut], responses=ERRORS,
            summary="Remote actions sent to this charging point and their outcomes")
def commands(item_id: PathId, scoped: ScopedQuery, page: PageDep) -> Page[CommandOut]:
    cp = scoped.get(ChargingPoint, item_id, "charging point")
    query = scoped.select(RemoteCommand).where(RemoteCommand.charging_point_id == cp.id)
    query = query.order_by(RemoteCommand.requested_at.desc(), RemoteCommand.id.desc())
    return paginate(scoped.db, query, page, CommandOut.model_validate)


async def _act(request: Request, scoped: ScopedQuery, cp_id: int,
               connector: int | None, action: str) -> CommandOut:
    def look_up() -> ChargingPoint:
        cp = scoped.get(ChargingPoint, cp_id, "charging point")
        if connector is not None and not any(c.number == connector for c in cp.connectors):
            raise NotFound(f"charging point {cp.ocpp_id} has no connector {connector}",
                           code="connectors.not_found")
        return cp

    # Database work runs in the thread pool: on SQLite a wait for the write lock
    # on the event loop would stall the request that holds it.
    cp = await run_in_threadpool(look_up)
    scoped.require(Action.REMOTE_ACTION)
    factory = _service(request, "remote_actions", "Remote actions")
    # Temporal only now: an object outside the subtree is 404 whether or not it runs.
    client = await get_temporal_client(request)
    place = {"customer_id": cp.customer_id, "location_id": cp.location_id}
    # End the read transaction: the action writes in its own sessions.
    await run_in_threadpool(scoped.db.commit)
    actions = factory(client, request.app.state.session_factory)
    try:
        outcome = await actions.run(action, cp.id, connector, requested_by=scoped.caller.actor)
    except ValueError as exc:
        raise Invalid(str(exc), code="remote_action.invalid") from exc

    def record() -> CommandOut:
        row = scoped.db.get(RemoteCommand, outcome.command_id)
        scoped.db.refresh(row)
        answer = CommandOut.model_validate(row)
        audit.record(scoped.db, principal=scoped.caller, action=f"remote_action.{action}",
                     object_type="charging_point", object_id=cp.id, before=None,
                     after=answer.model_dump(mode="json"), place=place)
        scoped.db.commit()
        return answer

    return await run_in_threadpool(record)


@router.post(POINTS_PATH + "/actions/{action}", response_model=CommandOut, responses=ERRORS,
             summary="Send a remote action to the charging point")
async def point_action(item_id: PathId, action: RemoteAction, request: Request,
                       scoped: ScopedQuery) -> CommandOut:
    """`request_status`, `activate`, `deactivate` or `reset`; the answer is the
    recorded outcome (accepted, rejected, timed_out, offline, failed)."""
    return await _act(request, scoped, item_id, None, action)


@router.post(POINTS_PATH + "/connectors/{number}/actions/{action}", response_model=CommandOut,
             responses=ERRORS, summary="Send a remote action to one connector")
async def connector_action(item_id: PathId, number: ConnectorNumber,
                           action: RemoteAction,
                           request: Request, scoped: ScopedQuery) -> CommandOut:
    """`request_status`, `activate`, `deactivate`, `remote_stop` or `unlock`."""
    return await _act(request, scoped, item_id, number, action)


