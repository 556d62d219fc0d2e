"""Server-sent events: the charging point page and the live-session tables stay
current without reloading. Each stream polls the database (the ingest writes
status and meter values there) once a second in a worker thread, through
`Scoped` with the caller that opened it, and sends an `update` event only when
something changed (portal.js applies it); a comment line every 15 s keeps
proxies from closing an idle stream."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable

from starlette.requests import Request
from starlette.responses import StreamingResponse

from api.auth import sessions
from api.auth.principal import Caller
from api.deps import DbDep, PortalPrincipal, PortalScopedQuery
from api.portal import queries
from api.portal.charging_points import ACTION_NAMES, charger_facts, point_state, recent_commands
from api.portal.render import TEMPLATES, local
from api.portal.routing import portal_router
from api.scoped import Scoped
from db.models import ChargingPoint

log = logging.getLogger(__name__)
router = portal_router()

POLL_S = 1.0
KEEPALIVE_S = 15.0


def _fragment(name: str, **context) -> str:
    return TEMPLATES.get_template(f"portal/{name}").render(**context)


def live_update(scoped: Scoped, charging_point_id: int | None = None) -> dict:
    live = queries.live_sessions(scoped, charging_point_id=charging_point_id)
    return {"html": {"live-rows": _fragment("_live_rows.html", live=live)}}


def point_update(scoped: Scoped, cp_id: int) -> dict:
    cp = scoped.get(ChargingPoint, cp_id, "charging point")
    state = point_state(scoped, cp)
    text = {
        **charger_facts(cp),
        "online": "Online" if state["online"] else "Offline",
        "last-seen": local(cp.last_seen_at),
        "point-status": state["point_status"] or "",
    }
    badge = {"online": "ok" if state["online"] else "warn"}
    for c in state["connectors"]:
        text[f"c{c['number']}-status"] = c["status"]
        text[f"c{c['number']}-at"] = local(c["status_at"], "%d %b %H:%M")
        badge[f"c{c['number']}"] = queries.status_tone(c["status"])
    update = live_update(scoped, cp_id)
    update["html"]["commands"] = _fragment(
        "_commands.html", commands=recent_commands(scoped, cp), tone=queries.status_tone,
        action_names=ACTION_NAMES,
    )
    return {"text": text, "badge": badge, **update}


async def _stream(
    request: Request, caller: Caller, build: Callable[[Scoped], dict]
) -> AsyncIterator[str]:
    factory = request.app.state.session_factory
    cookie = request.cookies.get(sessions.COOKIE_NAME)

    def snapshot() -> dict | None:
        with factory() as db:
            # Logged out (here or in another tab) or expired: the stream ends.
            if sessions.live_session(db, cookie_value=cookie) is None:
                return None
            return build(Scoped(db, caller))

    last = None
    quiet = 0.0
    yield "retry: 3000\n\n"
    while not await request.is_disconnected():
        try:
            update = await asyncio.to_thread(snapshot)
        except Exception:  # noqa: BLE001 - a failed poll is retried; the page keeps its values
            log.warning("live update for %s failed", request.url.path, exc_info=True)
            update = last
        else:
            if update is None:
                yield "event: ended\ndata: {}\n\n"
                return
        if update is not None and update != last:
            last, quiet = update, 0.0
            yield f"event: update\ndata: {json.dumps(update, default=str)}\n\n"
        elif quiet >= KEEPALIVE_S:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)
        quiet += POLL_S


def _sse(body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        body, media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/charging-points/{cp_id}/events")
def charging_point_events(request: Request, scoped: PortalScopedQuery, cp_id: int):
    scoped.get(ChargingPoint, cp_id, "charging point")  # 404 outside the subtree, at once
    scoped.db.close()  # the stream polls with its own sessions; hold no lock meanwhile
    return _sse(_stream(request, scoped.caller, lambda s: point_update(s, cp_id)))


@router.get("/live/events")
def live_events(request: Request, db: DbDep, caller: PortalPrincipal):
    db.close()  # the stream polls with its own sessions; hold no lock meanwhile
    return _sse(_stream(request, caller, live_update))
