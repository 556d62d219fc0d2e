"""Repository of charging sessions: the row each session workflow keeps (recorded
at authorization, completed when settled), its meter timeline, and the lists a
person reads.

Keyword-only functions on a caller's database session (`db`); callers own the
transaction. Every read that serves a person takes `principal` and is scoped by
`db.scope.visible`, so it cannot forget whose rows it may show."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from db.models import ChargingSession, MeterValue
from db.scope import visible
from domain.pricing import MeterSample
from domain.session_snapshot import SessionSnapshot
from domain.split import SPLIT_AMOUNTS, SessionSplit
from domain.visibility import Principal

# Columns of the session row copied from the snapshot under the same name (the
# scope columns among them, so every read can filter on its subtree).
FROM_SNAPSHOT = (
    "workflow_id", "ocpp_id", "charging_point_id", "customer_id", "organization_id",
    "partner_id", "id_tag", "card_id", "emsp_id", "category", "currency",
)


# The statements of every session, built once (a statement object reused keeps its
# compiled form and cache key, issue 14).
_SETTLING = select(ChargingSession.id, ChargingSession.state, ChargingSession.flags).where(
    ChargingSession.workflow_id == bindparam("workflow_id")
)
# The columns set are the parameters' keys; updated_at by its onupdate.
_SETTLE = update(ChargingSession).where(ChargingSession.id == bindparam("b_id"))
_SESSION_ID = select(ChargingSession.id).where(
    ChargingSession.workflow_id == bindparam("workflow_id")
)
_TIMELINE = (
    select(MeterValue.measured_at, MeterValue.energy_wh, MeterValue.power_w)
    .where(
        MeterValue.workflow_id == bindparam("workflow_id"),
        MeterValue.energy_wh.is_not(None),
        MeterValue.regressed.is_(False),
    )
    .order_by(MeterValue.measured_at)
)


def record_authorized(
    db: Session,
    *,
    snapshot: SessionSnapshot,
    transaction_id: str,
    connector: int,
    started_at: datetime,
    meter_start_wh: int,
    flags: tuple[str, ...] = (),
) -> bool:
    """Record the decided session (state active or rejected) once; a retried
    authorization finds the row and changes nothing. True when it was added.
    `flags` are what the ingest already knows finance must look at (a start
    rebuilt from an Ended event, a start time that had to be replaced)."""
    exists = db.scalar(_SESSION_ID, {"workflow_id": snapshot.workflow_id})
    if exists is not None:
        return False
    copied = {column: getattr(snapshot, column) for column in FROM_SNAPSHOT}
    db.add(
        ChargingSession(
            **copied,
            transaction_id=transaction_id,
            connector=connector,
            state="active" if snapshot.accepted else "rejected",
            started_at=started_at,
            meter_start_wh=meter_start_wh,
            snapshot=asdict(snapshot),
            flags=list(flags),
            needs_review=bool(flags),
        )
    )
    return True


@dataclass(frozen=True)
class Settlement:
    """What a settled session records: the stop, the price and who gets what."""

    stopped_at: datetime
    meter_stop_wh: int
    energy_wh: int
    stop_reason: str
    pricing: dict
    consumer_price_cents: int
    split: SessionSplit
    flags: tuple[str, ...]


def record_settled(
    db: Session, *, workflow_id: str, settlement: Settlement
) -> tuple[str, ...] | None:
    """Complete the session row as the charge detail record (state finished) and
    return the flags it now carries: the row's own (set at authorization) first,
    then the settlement's. A retry of a settled session keeps the flags already
    merged. None when there is no row for the workflow (its authorization is
    not recorded yet)."""
    row = db.execute(_SETTLING, {"workflow_id": workflow_id}).first()
    if row is None:
        return None
    flags = tuple(row.flags or ())
    if row.state != "finished":
        flags = tuple(dict.fromkeys(flags + settlement.flags))
    # Only the columns it sets: the row's snapshot (a few kilobytes of JSON) is
    # neither read nor written back (issue 14).
    db.execute(
        _SETTLE,
        {
            "b_id": row.id,
            "state": "finished",
            "stopped_at": settlement.stopped_at,
            "meter_stop_wh": settlement.meter_stop_wh,
            "energy_wh": settlement.energy_wh,
            "stop_reason": settlement.stop_reason,
            "pricing": settlement.pricing,
            "consumer_price_cents": settlement.consumer_price_cents,
            **{amount: getattr(settlement.split, amount) for amount in SPLIT_AMOUNTS},
            "flags": list(flags),
            "needs_review": bool(flags),
        },
    )
    return flags


def meter_timeline(db: Session, *, workflow_id: str) -> list[MeterSample]:
    """The session's stored energy readings in time order, without the ones the
    ingest flagged as gone backwards (they are kept for review, never priced)."""
    rows = db.execute(_TIMELINE, {"workflow_id": workflow_id}).all()
    return [MeterSample(at=at, energy_wh=wh, power_w=w) for at, wh, w in rows]


def list_for_principal(
    db: Session, *, principal: Principal, start: datetime, end: datetime
) -> list[ChargingSession]:
    """The sessions the principal may see that ended in [start, end) (a session
    belongs to the period of its end, DOMAIN.md §8), oldest first."""
    return list(
        db.scalars(
            select(ChargingSession)
            .where(
                visible(ChargingSession, principal),
                ChargingSession.stopped_at >= start,
                ChargingSession.stopped_at < end,
            )
            .order_by(ChargingSession.stopped_at, ChargingSession.id)
        )
    )
