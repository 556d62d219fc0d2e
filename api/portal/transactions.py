"""Transactions: the finished sessions the caller may see, filtered by period
(a session belongs to the period of its end), card, charging point, location and
organization, with who pays whom; the same rows as CSV; and the sessions
charging right now at the top."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.deps import PortalScopedQuery
from api.portal import queries
from api.portal.dashboard import platform_zone
from api.portal.render import page
from api.portal.routing import portal_router
from api.scoped import Scoped
from db.models import ChargingCard, ChargingPoint, ChargingSession, Location, Organization
from domain.enums import CardKind, Role
from domain.visibility import PARTNER_ROLES, PLATFORM_ROLES

router = portal_router()
PAGE_SIZE = 50
CSV_LIMIT = 200_000


@dataclass(frozen=True)
class Column:
    key: str  # ChargingSession attribute (cents)
    label: str


def money_columns(role: Role) -> list[Column]:
    """Who pays whom, as far as the role may see it."""
    columns = [Column("consumer_price_cents", "Price")]
    if role in PLATFORM_ROLES or role in PARTNER_ROLES or role == Role.CUSTOMER_ADMIN:
        columns.append(Column("owner_compensation_cents", "Compensation"))
    if role in PLATFORM_ROLES or role in PARTNER_ROLES:
        columns.append(Column("partner_fee_cents", "Roaming fee"))
    if role != Role.CUSTOMER_ADMIN and role not in PARTNER_ROLES:
        columns.append(Column("employee_payout_cents", "Reimbursed"))
    if role in PLATFORM_ROLES:
        columns.append(Column("platform_margin_cents", "Margin"))
    return columns


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive, local days
    card: str = ""
    charging_point: int | None = None
    location: int | None = None
    organization: int | None = None

    def query_string(self, **override) -> str:
        values = {"from": self.start.isoformat(), "to": self.end.isoformat(), "card": self.card,
                  "charging_point": self.charging_point or "", "location": self.location or "",
                  "organization": self.organization or "", **override}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def _id(text: str) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def read_filters(
    scoped: PortalScopedQuery,
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
    card: str = "",
    charging_point: str = "",
    location: str = "",
    organization: str = "",
) -> Filters:
    """The filter form's values; an empty select means "all", a bad date the default
    (this month so far, in the platform time zone)."""
    today = datetime.now(UTC).astimezone(platform_zone(scoped.db)).date()
    return Filters(
        start=_day(start) or today.replace(day=1), end=_day(end) or today,
        card=card.strip(), charging_point=_id(charging_point), location=_id(location),
        organization=_id(organization),
    )


FiltersDep = Annotated[Filters, Depends(read_filters)]


def filtered(scoped: Scoped, f: Filters) -> Select:
    tz = platform_zone(scoped.db)
    begin = datetime.combine(f.start, time(), tzinfo=tz).astimezone(UTC)
    finish = datetime.combine(f.end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    query = scoped.select(ChargingSession).where(
        ChargingSession.state == "finished",
        ChargingSession.stopped_at >= begin,
        ChargingSession.stopped_at < finish,
    )
    if f.card:
        query = query.where(ChargingSession.id_tag == f.card)
    if f.charging_point:
        query = query.where(ChargingSession.charging_point_id == f.charging_point)
    if f.organization:
        query = query.where(ChargingSession.organization_id == f.organization)
    if f.location:
        points = select(ChargingPoint.id).where(ChargingPoint.location_id == f.location)
        query = query.where(ChargingSession.charging_point_id.in_(points.scalar_subquery()))
    return query


def filter_options(scoped: Scoped) -> dict:
    db = scoped.db
    return {
        "points": db.execute(scoped.select(ChargingPoint).with_only_columns(
            ChargingPoint.id, ChargingPoint.ocpp_id).order_by(ChargingPoint.ocpp_id)).all(),
        "locations": db.execute(scoped.select(Location).with_only_columns(
            Location.id, Location.name).order_by(Location.name)).all(),
        "organizations": db.execute(scoped.select(Organization).with_only_columns(
            Organization.id, Organization.name).order_by(Organization.name)).all(),
        "cards": db.execute(scoped.select(ChargingCard).with_only_columns(
            ChargingCard.uid, ChargingCard.label).where(
            ChargingCard.kind == CardKind.ORGANIZATION).order_by(ChargingCard.uid)).all(),
    }


@router.get("/transactions")
def transactions(
    request: Request,
    scoped: PortalScopedQuery,
    f: FiltersDep,
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    query = filtered(scoped, f)
    columns = money_columns(scoped.caller.role)
    totals = scoped.db.execute(query.with_only_columns(
        func.count(ChargingSession.id),
        func.coalesce(func.sum(ChargingSession.energy_wh), 0),
        *[func.coalesce(func.sum(getattr(ChargingSession, c.key)), 0) for c in columns],
    )).one()
    rows = list(scoped.db.scalars(
        query.order_by(ChargingSession.stopped_at.desc(), ChargingSession.id.desc())
        .limit(PAGE_SIZE).offset((page_no - 1) * PAGE_SIZE)
    ))
    count = int(totals[0])
    return page(
        request, scoped.db, "transactions.html", caller=scoped.caller, active="transactions",
        title="Transactions", rows=rows, f=f, columns=columns, count=count,
        energy_total=int(totals[1]), money_totals=[int(v) for v in totals[2:]],
        page_no=page_no, pages=max(1, -(-count // PAGE_SIZE)), options=filter_options(scoped),
        live=queries.live_sessions(scoped), tone=queries.status_tone,
    )


def _euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents or 0)), 100)
    return f"{sign}{whole}.{rest:02d}"


def _kwh(wh: int) -> str:
    whole, rest = divmod(int(wh or 0), 1000)
    return f"{whole}.{rest:03d}"


@router.get("/transactions.csv")
def transactions_csv(
    scoped: PortalScopedQuery,
    f: FiltersDep,
) -> Response:
    columns = money_columns(scoped.caller.role)
    rows = scoped.db.scalars(
        filtered(scoped, f).order_by(ChargingSession.stopped_at, ChargingSession.id)
        .limit(CSV_LIMIT)
    ).all()
    header = ["transaction_id", "charging_point", "connector", "card", "category", "started_at",
              "stopped_at", "energy_kwh", "currency", *[c.key.removesuffix("_cents")
                                                        for c in columns]]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for s in rows:
        writer.writerow([
            s.transaction_id, s.ocpp_id, s.connector, s.id_tag, s.category,
            s.started_at.isoformat(), s.stopped_at.isoformat(), _kwh(s.energy_wh), s.currency,
            *[_euros(getattr(s, c.key)) for c in columns],
        ])
    name = f"transactions-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    return StreamingResponse(
        iter([buffer.getvalue()]), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
