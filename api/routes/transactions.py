"""Transactions, live and finished, filtered by period, card, charging point,
location and organization; a live one carries its running energy and cost
estimate (the session workflow's live state, or the stored meter values)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import and_, func, or_, select

from api.deps import ScopedQuery
from api.pagination import Page, PageDep, paginate, sorted_by
from api.routes.resources import ERRORS, FilterId
from api.schemas.common import PathId
from api.schemas.sessions import Live, Payment, TransactionOut
from db.models import ChargingPoint, ChargingSession, MeterValue
from domain.errors import Invalid, NotFound
from domain.live_estimate import estimate_cents
from domain.tariff import Tariff

log = logging.getLogger(__name__)
router = APIRouter(tags=["transactions"])

SORTABLE = {
    "id": ChargingSession.id, "started_at": ChargingSession.started_at,
    "stopped_at": ChargingSession.stopped_at, "energy_wh": ChargingSession.energy_wh,
    "consumer_price_cents": ChargingSession.consumer_price_cents,
}
LIVE_STATES = ("active",)


def payments(s) -> list[Payment]:
    """Who pays whom for a settled session (amounts excl. VAT, DOMAIN.md §5)."""
    owner = f"organization {s.organization_id}"
    rows = [
        ("emsp_billed_cents", f"eMSP {s.emsp_id}", "platform", "roaming charging, billed to"
         " the eMSP"),
        ("main_org_invoiced_cents", f"main organization {s.main_organization_id}",
         "platform", "reimbursed charging, invoiced to the employer"),
        ("owner_compensation_cents", "platform", owner, "compensation for the energy"),
        ("employee_payout_cents", "platform", f"suborganization {s.organization_id}",
         "payout to the employee"),
        ("partner_fee_cents", "platform", f"partner {s.partner_id}", "roaming fee"),
        ("platform_margin_cents", "platform", "platform", "platform margin"),
    ]
    return [Payment(payer=payer, payee=payee, amount_cents=getattr(s, column), what=what)
            for column, payer, payee, what in rows if getattr(s, column)]


# The columns a transaction answer is made of (read as plain rows, not ORM
# objects: a page of 50 is read without loading each session's snapshot).
_PLAIN = [name for name in TransactionOut.model_fields
          if name not in ("duration_s", "payments", "live")]
COLUMNS = [getattr(ChargingSession, name) for name in _PLAIN] + [
    ChargingSession.workflow_id, ChargingSession.meter_start_wh,
    ChargingSession.snapshot["main_organization_id"].as_integer().label("main_organization_id"),
]


def _live_from_meters(db, sessions: list[ChargingSession]) -> dict[str, Live]:
    """The latest energy reading of each live session, priced with the
    session's own tariff (domain.live_estimate)."""
    live = [s for s in sessions if s.state in LIVE_STATES]
    if not live:
        return {}
    tariffs = dict(db.execute(select(ChargingSession.workflow_id, ChargingSession.snapshot[
        "tariff"]).where(ChargingSession.workflow_id.in_([s.workflow_id for s in live]))).all())
    latest = (
        select(MeterValue.workflow_id, func.max(MeterValue.measured_at).label("at"))
        .where(MeterValue.workflow_id.in_([s.workflow_id for s in live]),
               MeterValue.energy_wh.is_not(None), MeterValue.regressed.is_(False))
        .group_by(MeterValue.workflow_id).subquery()
    )
    readings = {
        wf: (wh, at) for wf, wh, at in db.execute(
            select(MeterValue.workflow_id, MeterValue.energy_wh, MeterValue.measured_at).join(
                latest, and_(MeterValue.workflow_id == latest.c.workflow_id,
                             MeterValue.measured_at == latest.c.at)))
    }
    answers = {}
    for s in live:
        wh, at = readings.get(s.workflow_id, (s.meter_start_wh, None))
        energy = max(0, (wh or 0) - s.meter_start_wh)
        tariff = tariffs.get(s.workflow_id)
        cost = estimate_cents(Tariff.from_ocpi(tariff), energy) if tariff else 0
        answers[s.workflow_id] = Live(energy_wh=energy, cost_estimate_cents=cost,
                                      source="meter_values", measured_at=at)
    return answers


def _out(s, live: Live | None, now: datetime) -> TransactionOut:
    end = s.stopped_at or now
    return TransactionOut(
        **{name: getattr(s, name) for name in _PLAIN},
        duration_s=max(0, int((end - s.started_at).total_seconds())),
        payments=payments(s), live=live,
    )


@router.get("/transactions", response_model=Page[TransactionOut], responses=ERRORS,
            summary="Transactions I may see, live and finished")
def list_transactions(
    scoped: ScopedQuery, page: PageDep,
    since: Annotated[datetime | None, Query(description="Ended at or after (UTC).")] = None,
    until: Annotated[datetime | None, Query(description="Ended before (UTC).")] = None,
    state: Annotated[Literal["live", "finished", "rejected"] | None, Query()] = None,
    card_id: FilterId = None, charging_point_id: FilterId = None,
    location_id: FilterId = None, organization_id: FilterId = None,
    customer_id: FilterId = None,
    category: Annotated[Literal["free", "reimbursed", "roaming", "rejected"] | None,
                        Query()] = None,
) -> Response:
    """A session belongs to the period of its end (DOMAIN.md §8): `since`/`until`
    select finished sessions by their end; live sessions are included when the
    period reaches past now (they will end in it). By default live sessions come
    first, then the newest end; `sort` takes `started_at`, `stopped_at`,
    `energy_wh`, `consumer_price_cents` or `id`."""
    S = ChargingSession
    query = scoped.where_visible(select(*COLUMNS), S)
    now = datetime.now(UTC)
    if since is not None or until is not None:
        since_utc = _utc(since) if since else None
        until_utc = _utc(until) if until else None
        if since_utc and until_utc and since_utc >= until_utc:
            raise Invalid("since must be before until", code="invalid.period")
        ended = [c for c in (S.stopped_at >= since_utc if since_utc else None,
                             S.stopped_at < until_utc if until_utc else None) if c is not None]
        if until_utc is not None and until_utc <= now:
            # A live session ends after now, so never in a past period: the plain
            # range keeps the (customer_id, stopped_at) index usable.
            query = query.where(*ended)
        else:
            query = query.where(or_(and_(*ended), S.stopped_at.is_(None)))
    if state == "live":
        query = query.where(S.state.in_(LIVE_STATES))
    elif state is not None:
        query = query.where(S.state == state)
    for column, value in ((S.card_id, card_id), (S.charging_point_id, charging_point_id),
                          (S.organization_id, organization_id), (S.customer_id, customer_id),
                          (S.category, category)):
        if value is not None:
            query = query.where(column == value)
    if location_id is not None:
        query = query.where(S.charging_point_id.in_(
            select(ChargingPoint.id).where(ChargingPoint.location_id == location_id)))
    if page.sort is None:
        # Live first, then by end: the period column, so one index serves both.
        query = query.order_by(S.stopped_at.desc().nulls_first(), S.id.desc())
    else:
        query = sorted_by(query, page, SORTABLE, S.id.desc())
    result = paginate(scoped.db, query, page, lambda s: s, rows=True)
    live = _live_from_meters(scoped.db, result.items)
    result.items = [_out(s, live.get(s.workflow_id), now) for s in result.items]
    # The items are validated TransactionOut already: serialize once, instead of
    # FastAPI dumping and validating the page again (the busiest list there is).
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/transactions/{item_id}", response_model=TransactionOut, responses=ERRORS,
            summary="One transaction; a live one with its running energy and cost")
async def get_transaction(item_id: PathId, request: Request,
                          scoped: ScopedQuery) -> TransactionOut:
    s = scoped.db.execute(scoped.where_visible(select(*COLUMNS), ChargingSession).where(
        ChargingSession.id == item_id)).first()
    if s is None:
        raise NotFound(f"transaction {item_id} was not found", code="transactions.not_found")
    live = None
    if s.state in LIVE_STATES:
        live = await _live_from_workflow(request, s)
        if live is None:
            live = _live_from_meters(scoped.db, [s]).get(s.workflow_id)
    return _out(s, live, datetime.now(UTC))


async def _live_from_workflow(request: Request, s) -> Live | None:
    """The session workflow's own live state (energy and cost so far), when
    Temporal answers; None otherwise (the caller falls back to meter values)."""
    from workflows.session_gateway import SessionGateway

    try:
        client = await request.app.state.temporal.client(timeout_s=2.0)
        gateway = SessionGateway(client, request.app.state.session_factory)
        state = await gateway.live_state(s.ocpp_id, s.transaction_id)
    except Exception as exc:  # noqa: BLE001  (no live state: fall back, say why in the log)
        log.info("No live state for %s: %s", s.workflow_id, exc)
        return None
    return Live(energy_wh=state.energy_wh, cost_estimate_cents=state.cost_so_far_cents,
                source="workflow")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
