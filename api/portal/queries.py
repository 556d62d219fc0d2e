"""The portal's reads, every one through `Scoped` (so `db.scope.visible` is on
every select): fleet status counts, energy and money of a period, live sessions
with their running energy and cost, a charging point's live state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from api.scoped import Scoped
from db.models import ChargingPoint, ChargingSession, Connector, MeterValue
from domain.enums import ChargingPointState, Role
from domain.live_estimate import estimate_cents
from domain.tariff import Tariff
from domain.visibility import PARTNER_ROLES

CHARGING = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE", "Occupied"})
FAULTED = frozenset({"Faulted", "Unavailable"})


def status_tone(status: str | None) -> str:
    """The badge colour of an OCPP connector status."""
    if status in ("Available", "Online", "accepted", "active", "finished", "approved"):
        return "ok"
    if status in CHARGING or status in ("Preparing", "Finishing", "pending", "Reserved"):
        return "info"
    if status in ("Faulted", "rejected", "failed", "blocked"):
        return "bad"
    if status in ("Unavailable", "timed_out", "offline", "expired", "Offline"):
        return "warn"
    return ""


@dataclass(frozen=True)
class FleetCounts:
    total: int
    online: int
    offline: int
    charging: int
    faulted: int
    not_connected_yet: int


def fleet_counts(scoped: Scoped) -> FleetCounts:
    """Charging points by what they are doing now. A charger is *charging* when a
    connector is in a charging state, *faulted* when a connector reports a fault."""
    points = scoped.db.execute(
        scoped.select(ChargingPoint).with_only_columns(
            ChargingPoint.id, ChargingPoint.online, ChargingPoint.state
        ).where(ChargingPoint.state != ChargingPointState.REMOVED)
    ).all()
    ids = [p.id for p in points]
    statuses: dict[int, set[str]] = {}
    if ids:
        for cp_id, status in scoped.db.execute(
            scoped.select(Connector).with_only_columns(
                Connector.charging_point_id, Connector.status
            ).where(Connector.charging_point_id.in_(ids))
        ):
            statuses.setdefault(cp_id, set()).add(status)
    online = sum(1 for p in points if p.online)
    never = sum(1 for p in points if p.state == ChargingPointState.PRE_APPROVED)
    return FleetCounts(
        total=len(points),
        online=online,
        offline=len(points) - online - never,
        charging=sum(1 for p in points if p.online and statuses.get(p.id, set()) & CHARGING),
        faulted=sum(1 for p in points if statuses.get(p.id, set()) & {"Faulted"}),
        not_connected_yet=never,
    )


def month_bounds(today: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The calendar month of `today` in the platform time zone, as UTC instants
    (a session belongs to the month of its end, DOMAIN.md §8)."""
    start = datetime(today.year, today.month, 1, tzinfo=tz)
    following = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), following.astimezone(UTC)


def own_share_column(role: Role):
    """What the viewer earns from a session: the partner its fee, the owner its
    compensation, an employee its payout; the platform its margin."""
    if role in PARTNER_ROLES:
        return ChargingSession.partner_fee_cents, "Your roaming fees"
    if role == Role.CUSTOMER_ADMIN:
        return ChargingSession.owner_compensation_cents, "Compensation earned"
    if role == Role.CUSTOMER_USER:
        return ChargingSession.employee_payout_cents, "Your reimbursements"
    return ChargingSession.platform_margin_cents, "Platform margin"


@dataclass(frozen=True)
class PeriodTotals:
    sessions: int
    energy_wh: int
    consumer_cents: int
    own_cents: int
    own_label: str


def period_totals(scoped: Scoped, *, start: datetime, end: datetime) -> PeriodTotals:
    share, label = own_share_column(scoped.caller.role)
    row = scoped.db.execute(
        scoped.select(ChargingSession).with_only_columns(
            func.count(ChargingSession.id),
            func.coalesce(func.sum(ChargingSession.energy_wh), 0),
            func.coalesce(func.sum(ChargingSession.consumer_price_cents), 0),
            func.coalesce(func.sum(share), 0),
        ).where(
            ChargingSession.state == "finished",
            ChargingSession.stopped_at >= start,
            ChargingSession.stopped_at < end,
        )
    ).one()
    return PeriodTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), label)


def energy_per_day(
    scoped: Scoped, *, start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[date, int]]:
    """Finished sessions' energy per local day of their end, every day of the
    period, summed by the database: one conditional sum per day (exact across a
    DST change, the same SQL on SQLite and PostgreSQL, no rows fetched)."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def utc_midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)

    sums = [
        func.coalesce(func.sum(case(
            (ChargingSession.stopped_at.between(utc_midnight(day), utc_midnight(
                day + timedelta(days=1)) - timedelta(microseconds=1)), ChargingSession.energy_wh),
            else_=0,
        )), 0)
        for day in days
    ]
    row = scoped.db.execute(
        scoped.select(ChargingSession).with_only_columns(*sums).where(
            ChargingSession.state == "finished",
            ChargingSession.stopped_at >= start,
            ChargingSession.stopped_at < end,
        )
    ).one()
    return [(day, int(wh)) for day, wh in zip(days, row, strict=True)]


@dataclass(frozen=True)
class LiveSession:
    id: int
    workflow_id: str
    ocpp_id: str
    charging_point_id: int | None
    connector: int
    id_tag: str
    category: str
    started_at: datetime
    energy_wh: int
    cost_cents: int
    currency: str
    power_w: int | None


def live_sessions(scoped: Scoped, *, charging_point_id: int | None = None) -> list[LiveSession]:
    """Active sessions with their running energy (the latest stored meter
    reading) and cost estimate (energy and start fee of the frozen tariff)."""
    query = scoped.select(ChargingSession).where(ChargingSession.state == "active")
    if charging_point_id is not None:
        query = query.where(ChargingSession.charging_point_id == charging_point_id)
    sessions = list(scoped.db.scalars(query.order_by(ChargingSession.started_at.desc()).limit(200)))
    if not sessions:
        return []
    latest = (
        select(MeterValue.workflow_id, func.max(MeterValue.energy_wh).label("energy"))
        .where(
            MeterValue.workflow_id.in_([s.workflow_id for s in sessions]),
            MeterValue.regressed.is_(False),
        )
        .group_by(MeterValue.workflow_id)
    )
    readings = {wf: energy for wf, energy in scoped.db.execute(latest)}
    powers = _latest_power(scoped, [s.workflow_id for s in sessions])
    result = []
    for s in sessions:
        reading = readings.get(s.workflow_id)
        energy = max(0, int(reading) - s.meter_start_wh) if reading is not None else 0
        result.append(LiveSession(
            id=s.id, workflow_id=s.workflow_id, ocpp_id=s.ocpp_id,
            charging_point_id=s.charging_point_id, connector=s.connector, id_tag=s.id_tag,
            category=s.category, started_at=s.started_at, energy_wh=energy,
            cost_cents=_estimate(s.snapshot, s.category, energy), currency=s.currency,
            power_w=powers.get(s.workflow_id),
        ))
    return result


def _latest_power(scoped: Scoped, workflow_ids: list[str]) -> dict[str, int]:
    newest = (
        select(MeterValue.workflow_id, func.max(MeterValue.measured_at).label("at"))
        .where(MeterValue.workflow_id.in_(workflow_ids))
        .group_by(MeterValue.workflow_id)
        .subquery()
    )
    rows = scoped.db.execute(
        select(MeterValue.workflow_id, MeterValue.power_w).join(
            newest,
            (MeterValue.workflow_id == newest.c.workflow_id)
            & (MeterValue.measured_at == newest.c.at),
        )
    )
    return {wf: power for wf, power in rows if power is not None}


def _estimate(snapshot: dict | None, category: str, energy_wh: int) -> int:
    # Free sessions (an organization's own card at its own charger) cost nothing.
    tariff = (snapshot or {}).get("tariff")
    if not tariff or category in ("free", "rejected"):
        return 0
    try:
        return estimate_cents(Tariff.from_ocpi(tariff), energy_wh)
    except (ValueError, KeyError, TypeError):
        return 0
