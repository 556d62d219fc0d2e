"""The dashboard: the fleet right now (online, offline, charging, faulted),
energy and money this month, energy per day as a server-drawn SVG chart, and the
sessions charging right now."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from api.deps import PortalScopedQuery
from api.portal import queries
from api.portal.charts import energy_per_day_svg
from api.portal.render import page
from api.portal.routing import portal_router
from db.base import utcnow
from db.models import PlatformSettings

router = portal_router()


def platform_zone(db) -> ZoneInfo:
    settings = db.scalar(select(PlatformSettings).limit(1))
    return ZoneInfo(settings.time_zone if settings else "Europe/Amsterdam")


@router.get("/")
def dashboard(request: Request, scoped: PortalScopedQuery) -> Response:
    tz = platform_zone(scoped.db)
    today = utcnow().astimezone(tz).date()
    start, end = queries.month_bounds(today, tz)
    totals = queries.period_totals(scoped, start=start, end=end)
    days = queries.energy_per_day(scoped, start=start, end=end, tz=tz)
    chart = energy_per_day_svg(days, title=f"Energy per day, {today:%B %Y}")
    return page(
        request, scoped.db, "dashboard.html", caller=scoped.caller, active="dashboard",
        title="Dashboard", fleet=queries.fleet_counts(scoped), totals=totals, chart=chart,
        month=f"{today:%B %Y}", live=queries.live_sessions(scoped),
        tone=queries.status_tone,
    )
