"""The demo world's October 2026 (SCENARIOS.md S1–S5), charged through the REAL
session workflow: each session is started, summarized and stopped through the
session gateway exactly as the OCPP ingest does it, with October timestamps, and
the worker authorizes, prices, splits and posts it. Afterwards
`energycloud settle --period 2026-10` has its five documents to settle.

Idempotent: transaction ids are fixed (`demo-S1` …), so the workflow ids are
too; sessions already in the database are skipped, and a session workflow that
already ran answers from its result."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from db.models import ChargingSession
from workflows.session_gateway import SessionGateway, UnknownSession
from workflows.session_types import MeterSummary, SessionStart, SessionStop

log = logging.getLogger(__name__)

AMS = ZoneInfo("Europe/Amsterdam")
METER_START_WH = 1_000_000


@dataclass(frozen=True)
class DemoSession:
    name: str
    ocpp_id: str
    id_tag: str
    energy_wh: int
    ended: str  # Amsterdam wall-clock time
    prefix: str = "demo-"  # tests sharing one Temporal server use their own

    @property
    def transaction_id(self) -> str:
        return f"{self.prefix}{self.name}"

    @property
    def stopped_at(self) -> datetime:
        return datetime.fromisoformat(self.ended).replace(tzinfo=AMS).astimezone(UTC)

    @property
    def started_at(self) -> datetime:
        return self.stopped_at - timedelta(hours=2)


OCTOBER_2026 = (
    DemoSession("S1", "ACME-HOME-001", "ACME-JAN-01", 18_250, "2026-10-14T21:00"),
    DemoSession("S2", "ACME-DEPOT-01", "NL-TNM-C00122045-K", 24_000, "2026-10-15T12:00"),
    DemoSession("S3", "ACME-DEPOT-01", "ACME-JAN-01", 10_000, "2026-10-16T12:00"),
    DemoSession("S4", "ACME-DEPOT-02", "NL-TNM-C00122045-K", 10_500, "2026-10-20T12:00"),
    DemoSession("S5", "ACME-DEPOT-01", "DEADBEEF", 0, "2026-10-21T12:00"),
)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


async def drive_october_sessions(
    client: Client,
    session_factory: sessionmaker[Session],
    *,
    task_queue: str,
    sessions: tuple[DemoSession, ...] = OCTOBER_2026,
    prefix: str = "demo-",
) -> int:
    """Run the sessions not yet in the database; returns how many ran."""
    sessions = tuple(replace(s, prefix=prefix) for s in sessions)
    # By charger and transaction: the workflow id also carries this database's
    # installation id (db.installation), which the gateway adds.
    with session_factory() as db:
        known = {tuple(row) for row in db.execute(
            select(ChargingSession.ocpp_id, ChargingSession.transaction_id).where(
                ChargingSession.transaction_id.in_([s.transaction_id for s in sessions]),
                ChargingSession.state.in_(("finished", "rejected")),
            )
        )}
    todo = [s for s in sessions if (s.ocpp_id, s.transaction_id) not in known]
    gateway = SessionGateway(client=client, session_factory=session_factory,
                             task_queue=task_queue)
    for demo in todo:
        answer = await gateway.start(SessionStart(
            ocpp_id=demo.ocpp_id, transaction_id=demo.transaction_id, connector=1,
            id_tag=demo.id_tag, meter_start_wh=METER_START_WH,
            started_at=_iso(demo.started_at),
        ))
        if answer.accepted:
            try:
                await gateway.meter_summary(MeterSummary(
                    ocpp_id=demo.ocpp_id, transaction_id=demo.transaction_id,
                    energy_wh=METER_START_WH + demo.energy_wh // 2,
                    measured_at=_iso(demo.started_at + timedelta(hours=1)),
                ))
                await gateway.stop(SessionStop(
                    ocpp_id=demo.ocpp_id, transaction_id=demo.transaction_id,
                    meter_stop_wh=METER_START_WH + demo.energy_wh,
                    stopped_at=_iso(demo.stopped_at),
                ))
            except UnknownSession:
                pass  # it finished in an earlier run
            result = await gateway.result(demo.ocpp_id, demo.transaction_id)
            log.info("demo %s at %s: %s, %s cents", demo.name, demo.ocpp_id, result.category,
                     result.consumer_price_cents)
        else:
            log.info("demo %s at %s: %s (%s)", demo.name, demo.ocpp_id, answer.status,
                     answer.category)
    return len(todo)
