"""A charging point's page: identity, live status of the point and its
connectors (server-sent events keep them current, api.portal.sse), the effective
rate and access mode with where they come from, the sessions running on it, and
the remote-action buttons at both levels with each command's recorded outcome.

Remote actions go through the platform's `RemoteActions` service, which the
process entry point (or a test) hands to the app (`api.services`): the API does
not import the OCPP ingest (the layers of docs/architecture.md)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Form, HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.deps import PortalScopedQuery, get_temporal_client, require_csrf
from api.portal import queries
from api.portal.render import local, page
from api.portal.routing import portal_router
from api.scoped import Scoped
from db import audit
from db.facts import access_mode_of, rate_of
from db.models import ChargingPoint, ChargingPointStatus, RemoteCommand
from domain.errors import DomainError, Invalid
from domain.visibility import Action

log = logging.getLogger(__name__)
router = portal_router()

POINT_ACTIONS = {
    "request_status": "Request status",
    "activate": "Activate",
    "deactivate": "Deactivate",
    "reset": "Full reset",
}
CONNECTOR_ACTIONS = {
    "request_status": "Status",
    "activate": "Activate",
    "deactivate": "Deactivate",
    "unlock": "Release cable",
    "remote_stop": "Stop charging",
}
ACTION_NAMES = {**POINT_ACTIONS, "request_status": "Request status", "unlock": "Release cable",
                "remote_stop": "Stop charging"}
OUTCOME_SENTENCES = {
    "accepted": "the charger accepted it",
    "rejected": "the charger rejected it",
    "timed_out": "the charger did not answer in time",
    "offline": "the charging point is not connected",
    "failed": "it could not be sent",
    "pending": "waiting for the charger",
}


LIFECYCLE = {
    "pre_approved": "Pre-approved: waiting for its first connection",
    "pending": "Connected, waiting to be claimed",
    "connected": "Onboarded",
    "offline": "Onboarded",
    "removed": "Removed",
}


class RemoteActionsUnavailable(DomainError):
    code = "remote_actions.unavailable"


def tariff_lines(tariff: dict | None, currency: str = "EUR") -> list[str]:
    """An OCPI tariff in words: '€ 0.39 per kWh', '€ 0.35 per session', with
    time-of-day restrictions."""
    sign = {"EUR": "€"}.get(currency, currency)
    lines = []
    units = {"ENERGY": "per kWh", "FLAT": "per session", "TIME": "per hour charging",
             "PARKING_TIME": "per hour parking"}
    for element in (tariff or {}).get("elements", []):
        window = element.get("restrictions") or {}
        when = ""
        if window.get("start_time") and window.get("end_time"):
            when = f" ({window['start_time']}–{window['end_time']})"
        for component in element.get("price_components", []):
            unit = units.get(component.get("type"), component.get("type", "").lower())
            lines.append(f"{sign} {component.get('price')} {unit}{when}")
    return lines


def point_state(scoped: Scoped, cp: ChargingPoint) -> dict:
    """What the page shows live: online, the point's own status, each connector."""
    own = scoped.db.get(ChargingPointStatus, cp.id)
    return {
        "online": cp.online,
        "point_status": own.status if own else None,
        "connectors": [
            {"number": c.number, "status": c.status, "status_at": c.status_at}
            for c in cp.connectors
        ],
    }


def charger_facts(cp: ChargingPoint) -> dict[str, str]:
    """What the charger told us and where it stands, as the page prints it (the
    live stream sends the same words when the first connection fills them in)."""
    return {
        "lifecycle": LIFECYCLE[cp.state.value],
        "model": " ".join(filter(None, [cp.vendor, cp.model])) or "—",
        "firmware": cp.firmware_version or "—",
        "protocol": f"OCPP {cp.ocpp_protocol.removeprefix('ocpp')}" if cp.ocpp_protocol else "—",
        "billable": local(cp.first_connected_at, "%d %b %Y"),
    }


def recent_commands(scoped: Scoped, cp: ChargingPoint, limit: int = 8) -> list[RemoteCommand]:
    return list(scoped.db.scalars(
        scoped.select(RemoteCommand).where(RemoteCommand.charging_point_id == cp.id)
        .order_by(RemoteCommand.id.desc()).limit(limit)
    ))


def source_sentence(effective) -> str:
    """'Inherited from location Depot Noord' or 'Own setting of charging point X'
    (domain.inheritance words it; the page starts it with a capital)."""
    sentence = effective.describe("x").removeprefix("x: ")
    return sentence[:1].upper() + sentence[1:]


def effective_settings(cp: ChargingPoint) -> dict:
    if cp.location is None:
        return {}
    result = {}
    try:
        rate = rate_of(cp)
        result["rate"] = rate
        result["rate_source"] = source_sentence(rate)
        result["rate_lines"] = tariff_lines(rate.value.tariff, rate.value.currency)
    except Invalid as exc:
        result["rate_problem"] = exc.message
    try:
        result["access"] = access_mode_of(cp)
        result["access_source"] = source_sentence(result["access"])
    except Invalid as exc:
        result["access_problem"] = exc.message
    return result


def render_point(request: Request, scoped: Scoped, cp: ChargingPoint, *, notices=()) -> Response:
    return page(
        request, scoped.db, "charging_point.html", caller=scoped.caller, active="tree",
        title=cp.name or cp.ocpp_id, cp=cp, state=point_state(scoped, cp),
        settings=effective_settings(cp), commands=recent_commands(scoped, cp),
        live=queries.live_sessions(scoped, charging_point_id=cp.id), tone=queries.status_tone,
        point_actions=POINT_ACTIONS, connector_actions=CONNECTOR_ACTIONS,
        action_names=ACTION_NAMES, outcomes=OUTCOME_SENTENCES, notices=list(notices),
        facts=charger_facts(cp),
    )


@router.get("/charging-points/{cp_id}")
def charging_point(
    request: Request, scoped: PortalScopedQuery, cp_id: int, command: int | None = None
) -> Response:
    cp = scoped.get(ChargingPoint, cp_id, "charging point")
    notices = []
    if command is not None:
        done = scoped.db.get(RemoteCommand, command)
        if done is not None and done.charging_point_id == cp.id:
            target = f"connector {done.connector}" if done.connector else "the charging point"
            sentence = OUTCOME_SENTENCES.get(done.status, done.status)
            tone = "ok" if done.status == "accepted" else "bad"
            reason = (done.answer or {}).get("reason") or (done.answer or {}).get("status")
            notices.append((tone, f"{ACTION_NAMES.get(done.action, done.action)} on {target}:"
                                  f" {sentence}" + (f" ({reason})." if reason else ".")))
    return render_point(request, scoped, cp, notices=notices)


@router.post("/charging-points/{cp_id}/actions", dependencies=[Depends(require_csrf)])
async def remote_action(
    request: Request,
    scoped: PortalScopedQuery,
    cp_id: int,
    action: Annotated[str, Form()],
    connector: Annotated[int | None, Form()] = None,
) -> Response:
    cp = scoped.get(ChargingPoint, cp_id, "charging point")
    scoped.require(Action.REMOTE_ACTION)
    allowed = CONNECTOR_ACTIONS if connector is not None else POINT_ACTIONS
    if action not in allowed:
        raise Invalid(f"{action} is not a remote action on "
                      f"{'a connector' if connector is not None else 'a charging point'}.")
    if connector is not None and connector not in {c.number for c in cp.connectors}:
        raise Invalid(f"{cp.ocpp_id} has no connector {connector}.")
    services = getattr(request.app.state, "services", None)
    if services is None or services.remote_actions is None:
        raise RemoteActionsUnavailable(
            "Remote actions are not available on this server: it runs without the OCPP ingest."
        )
    try:
        client = await get_temporal_client(request)
    except HTTPException as exc:
        raise RemoteActionsUnavailable(
            "Remote actions are not available right now: Temporal cannot be reached."
        ) from exc
    actions = services.remote_actions(client)
    cp_id, ocpp_id = cp.id, cp.ocpp_id
    place = {"customer_id": cp.customer_id, "location_id": cp.location_id}
    # No transaction held open while the charger answers (on SQLite it would be
    # the write lock the ingest and RemoteActions need); no row touched until then.
    scoped.db.rollback()
    outcome = await actions.run(action, cp_id, connector, requested_by=scoped.caller.email)

    def record() -> None:  # a new write transaction: off the event loop (SQLite waits)
        audit.record(
            scoped.db, principal=scoped.caller, action=f"remote_action.{action}",
            object_type="charging_point", object_id=cp_id, before=None,
            after={"connector": connector, "command_id": outcome.command_id,
                   "status": outcome.status, "answer": outcome.answer},
            place=place,
        )
        scoped.db.commit()

    await run_in_threadpool(record)
    log.info("%s ran %s on %s connector %s: %s", scoped.caller.email, action, ocpp_id,
             connector, outcome.status)
    return RedirectResponse(f"/charging-points/{cp_id}?command={outcome.command_id}",
                            status_code=303)
