"""Helpers for driving session workflows in tests: a worker on a fresh task queue
over a demo-world database, and a charger-like script of start, meter values, stop."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from temporalio.worker import Worker

from db.base import transaction
from db.models import ChargingPoint, MeterValue
from workflows.registry import all_activities, all_workflows
from workflows.session_gateway import SessionGateway
from workflows.session_types import MeterSummary, SessionConfig, SessionStart, SessionStop


@asynccontextmanager
async def session_worker(client, session_factory, task_queue, config=None, mail=None,
                         providers=None):
    """`mail`: a MailConfig for the delivery activities (default: an outbox in a
    fresh temporary folder); `providers`: the payment providers (default: none)."""
    import tempfile

    from mail.config import MailConfig

    if mail is None:
        mail = MailConfig(outbox_dir=tempfile.mkdtemp(prefix="ec-outbox-"))
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=all_workflows(),
            activities=all_activities(session_factory, providers, mail=mail),
            activity_executor=executor,
        ):
            yield SessionGateway(
                client=client, session_factory=session_factory, task_queue=task_queue,
                config=config or SessionConfig(),
            )


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


@dataclass
class ScriptedSession:
    """One transaction as a charger would report it."""

    ocpp_id: str
    id_tag: str
    energy_wh: int
    started_at: datetime
    minutes: int = 60
    transaction_id: str = "1"
    meter_start_wh: int = 1_000_000

    @property
    def stopped_at(self) -> datetime:
        return self.started_at + timedelta(minutes=self.minutes)

    def start(self) -> SessionStart:
        return SessionStart(
            ocpp_id=self.ocpp_id, transaction_id=self.transaction_id, connector=1,
            id_tag=self.id_tag, meter_start_wh=self.meter_start_wh,
            started_at=iso(self.started_at),
        )

    def stop(self) -> SessionStop:
        return SessionStop(
            ocpp_id=self.ocpp_id, transaction_id=self.transaction_id,
            meter_stop_wh=self.meter_start_wh + self.energy_wh, stopped_at=iso(self.stopped_at),
        )

    def summary(self, fraction: float) -> MeterSummary:
        return MeterSummary(
            ocpp_id=self.ocpp_id, transaction_id=self.transaction_id,
            energy_wh=self.meter_start_wh + int(self.energy_wh * fraction),
            measured_at=iso(self.started_at + timedelta(minutes=self.minutes * fraction)),
        )

    def store_meter_values(self, session_factory, workflow_id: str, steps: int = 4) -> None:
        """What the ingest stores in batches: an even charging curve."""
        with transaction(session_factory) as s:
            cp_id = s.query(ChargingPoint.id).filter_by(ocpp_id=self.ocpp_id).scalar()
            for i in range(1, steps):
                s.add(MeterValue(
                    charging_point_id=cp_id, connector=1, workflow_id=workflow_id,
                    transaction_id=self.transaction_id,
                    measured_at=self.started_at + timedelta(minutes=self.minutes * i / steps),
                    energy_wh=self.meter_start_wh + self.energy_wh * i // steps,
                ))


def offset_transaction_ids(session_factory, ocpp_id: str) -> int:
    """Make this test database hand out OCPP 1.6 transaction ids from a random
    offset. Every test gets a fresh database but all share one Temporal server, and
    workflow ids are derived from (charger, transaction id): without an offset two
    tests would both start at id 1 and meet the same workflow."""
    import random

    from db.models import OcppTransaction

    offset = random.randrange(10_000_000, 2_000_000_000)
    with transaction(session_factory) as s:
        cp_id = s.query(ChargingPoint.id).filter_by(ocpp_id=ocpp_id).scalar()
        s.add(OcppTransaction(id=offset, charging_point_id=cp_id, dedupe_key="test-offset",
                              transaction_id=str(offset), workflow_id=f"test-offset:{offset}"))
    if session_factory.kw["bind"].dialect.name == "postgresql":
        with transaction(session_factory) as s:
            s.execute(text(
                f"SELECT setval(pg_get_serial_sequence('ocpp_transactions', 'id'), {offset})"))
    return offset


def start_worker(db_url: str, address: str, task_queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "TEMPORAL_ADDRESS": address,
        "TASK_QUEUE": task_queue,
        "LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "energycloud.cli", "worker"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
