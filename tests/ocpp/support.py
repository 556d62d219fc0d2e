"""Shared pieces of the OCPP ingest tests (no tests of its own): a recording
gateway standing in for the session workflow, a running ingest node on a free
port, seeded charging points, and a raw websocket client for exact frames."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from websockets.asyncio.client import connect

from db.demo import bare_location
from db.installation import installation_id
from db.models import ChargingPoint
from db.tree_service import add_charging_point
from energycloud.settings import Settings
from ocpp_ingest.auth import PasswordVerifier, basic_auth_header
from ocpp_ingest.options import IngestOptions
from ocpp_ingest.server import IngestServer
from ocpp_ingest.simulator import SimulatedCharger
from workflows.session_types import (
    AuthorizeAnswer,
    MeterSummary,
    SessionStart,
    SessionStop,
    StartAnswer,
    StopRequest,
    session_workflow_id,
)

# Cheap argon2 parameters: the tests check behaviour, not hashing cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "s3cret-charger"

# id tag -> (accepted, OCPP status, category)
CARDS = {
    "ACCEPTED-1": (True, "Accepted", "free"),
    "ROAMING-1": (True, "Accepted", "roaming"),
    "BLOCKED-1": (False, "Blocked", "rejected"),
    "EXPIRED-1": (False, "Expired", "rejected"),
}


@dataclass
class RecordingGateway:
    """The four `SessionGateway` methods, answering from `CARDS` (unknown cards:
    Invalid) and recording every call."""

    starts: list[SessionStart] = field(default_factory=list)
    stops: list[SessionStop] = field(default_factory=list)
    summaries: list[MeterSummary] = field(default_factory=list)
    authorizations: list[tuple[str, str]] = field(default_factory=list)
    stop_requests: list[tuple[str, str, StopRequest]] = field(default_factory=list)
    unknown_stops: bool = False  # behave like a gateway whose workflow is gone

    def _answer(self, id_tag: str) -> tuple[bool, str, str]:
        return CARDS.get(id_tag, (False, "Invalid", "rejected"))

    async def start(self, start: SessionStart) -> StartAnswer:
        self.starts.append(start)
        accepted, status, category = self._answer(start.id_tag)
        return StartAnswer(
            session_workflow_id(start.ocpp_id, start.transaction_id), accepted, status, category
        )

    async def stop(self, stop: SessionStop) -> None:
        if self.unknown_stops:
            raise LookupError(f"no running session for {stop.transaction_id}")
        self.stops.append(stop)

    async def meter_summary(self, summary: MeterSummary) -> None:
        self.summaries.append(summary)

    async def request_stop(self, ocpp_id: str, transaction_id: str, request: StopRequest) -> None:
        self.stop_requests.append((ocpp_id, transaction_id, request))

    async def authorize(self, ocpp_id: str, id_tag: str) -> AuthorizeAnswer:
        self.authorizations.append((ocpp_id, id_tag))
        accepted, status, category = self._answer(id_tag)
        return AuthorizeAnswer(accepted, status, category)


def seed_location(session_factory) -> tuple[int, int]:
    """A customer with one organization and location: (customer_id, location_id)."""
    with session_factory() as s, s.begin():
        location = bare_location(s, customer=f"Customer {uuid.uuid4().hex[:6]}")
        return location.customer_id, location.id


def pre_approve(
    session_factory,
    ocpp_id: str,
    *,
    connectors: int = 2,
    password: str = PASSWORD,
    in_service_since: datetime | None = None,
) -> int:
    """A pre-approved charging point, added the way the platform adds them.
    `in_service_since`: it first connected then (its messages may date from then
    on; the ingest replaces earlier timestamps as impossible)."""
    _customer_id, location_id = seed_location(session_factory)
    with session_factory() as s, s.begin():
        cp = add_charging_point(
            s, location_id=location_id, ocpp_id=ocpp_id, password=password, connectors=connectors
        )
        cp.first_connected_at = in_service_since
        return cp.id


def charging_point(session_factory, ocpp_id: str) -> ChargingPoint:
    with session_factory() as s:
        return s.execute(select(ChargingPoint).where(ChargingPoint.ocpp_id == ocpp_id)).scalar_one()


def rows(session_factory, statement):
    with session_factory() as s:
        return s.execute(statement).scalars().all()


def workflow_id_of(session_factory, ocpp_id: str, transaction_id) -> str:
    """The session workflow id on this test database's installation."""
    with session_factory() as s, s.begin():
        return session_workflow_id(ocpp_id, str(transaction_id), installation_id(s))


def fast_options(**overrides) -> IngestOptions:
    base = dict(
        host="127.0.0.1",
        port=0,
        heartbeat_interval_s=30,
        pending_boot_interval_s=1,
        offline_after_s=60,
        sweep_interval_s=3600,
        touch_flush_s=0.05,
        flush_ms=2,
        meter_summary_interval_s=3600,
        command_timeout_s=3,
        ping_interval_s=None,
    )
    base.update(overrides)
    return IngestOptions(**base)


@asynccontextmanager
async def running_ingest(
    session_factory, gateway=None, *, node_id: str | None = None, temporal_client=None, **overrides
):
    server = IngestServer(
        Settings(),
        session_factory,
        gateway or RecordingGateway(),
        node_id or f"test-{uuid.uuid4().hex[:8]}",
        temporal_client=temporal_client,
        options=fast_options(**overrides),
        password_verifier=PasswordVerifier(FAST_HASHER),
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def charger(
    server: IngestServer,
    ocpp_id: str,
    version: str = "1.6",
    *,
    password: str = PASSWORD,
    boot: bool = True,
    **kwargs,
):
    sim = SimulatedCharger(ocpp_id, password, version, server.url, response_timeout=5, **kwargs)
    await sim.connect()
    try:
        if boot:
            await sim.boot()
        yield sim
    finally:
        await sim.close()


class RawClient:
    """A plain websocket client for exact OCPP frames."""

    def __init__(self, ws):
        self.ws = ws

    async def send(self, frame) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5) -> list:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def exchange(self, frame, timeout: float = 5) -> list:
        await self.send(frame)
        return await self.recv(timeout)


@asynccontextmanager
async def raw_client(
    server: IngestServer, ocpp_id: str, subprotocol: str = "ocpp1.6", *, password: str = PASSWORD
):
    async with connect(
        f"{server.url}/{ocpp_id}",
        subprotocols=[subprotocol],
        additional_headers={"Authorization": basic_auth_header(ocpp_id, password)},
        compression=None,
    ) as ws:
        yield RawClient(ws)


async def eventually(predicate, timeout: float = 10, interval: float = 0.02):
    """Wait until `predicate()` (sync) is truthy; returns its value. The timeout
    only matters when the condition is never reached: generous, for CI machines
    whose two cores run two test processes."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)


@asynccontextmanager
async def booted_charger(
    session_factory,
    ocpp_id: str,
    version: str = "1.6",
    gateway=None,
    *,
    in_service_since: datetime | None = None,
    **overrides,
):
    """The usual start of a message test: `ocpp_id` pre-approved, a fresh ingest
    node (`running_ingest` with `gateway` and the option `overrides`) and that
    charger connected and booted on it, speaking `version`; yields the charger."""
    pre_approve(session_factory, ocpp_id, in_service_since=in_service_since)
    async with running_ingest(session_factory, gateway, **overrides) as server:
        async with charger(server, ocpp_id, version) as sim:
            yield sim
