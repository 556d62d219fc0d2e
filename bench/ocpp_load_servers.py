"""The two servers `bench/ocpp_load.py` compares, each run in its own process
(`ocpp_load.py --serve ingest|bare`): the ingest with a gateway that accepts at
once, and a bare `ocpp` library handler that does nothing but answer; and the
seeded chargers they serve."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password"


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class AcceptingGateway:
    """Answers like a session workflow that accepts everything, instantly."""

    async def start(self, start):
        from workflows.session_types import StartAnswer, session_workflow_id

        return StartAnswer(
            session_workflow_id(start.ocpp_id, start.transaction_id), True, "Accepted", "free"
        )

    async def stop(self, stop):
        return None

    async def meter_summary(self, summary):
        return None

    async def authorize(self, ocpp_id, id_tag):
        from workflows.session_types import AuthorizeAnswer

        return AuthorizeAnswer(True, "Accepted", "free")


def seed(database_url: str, count: int) -> None:

    from db.base import make_engine, make_sessionmaker
    from db.demo import bare_location
    from db.models import ChargingPoint, Connector
    from db.schema import reset_schema
    from domain.enums import ChargingPointState

    engine = make_engine(database_url)
    reset_schema(engine)
    from ocpp_ingest.auth import hash_password

    password_hash = hash_password(PASSWORD)  # the charger-secret form the platform stores
    with make_sessionmaker(engine)() as s, s.begin():
        location = bare_location(s, customer="Bench", organization="Bench org", location="Bench")
        s.add_all(
            ChargingPoint(
                ocpp_id=f"BENCH-{i:05d}",
                customer_id=location.customer_id,
                location_id=location.id,
                state=ChargingPointState.PRE_APPROVED,
                password_hash=password_hash,
                connectors=[Connector(number=1)],
            )
            for i in range(1, count + 1)
        )
    engine.dispose()


async def serve_ingest(database_url: str, flush_ms: float) -> None:
    from argon2 import PasswordHasher

    from db.base import make_engine, make_sessionmaker
    from energycloud.settings import Settings
    from ocpp_ingest.auth import PasswordVerifier
    from ocpp_ingest.options import IngestOptions
    from ocpp_ingest.server import IngestServer

    factory = make_sessionmaker(
        make_engine(database_url, pool_size=10, max_overflow=10)
        if database_url.startswith("postgresql")
        else make_engine(database_url)
    )
    options = IngestOptions(
        host="127.0.0.1",
        port=0,
        heartbeat_interval_s=60,
        offline_after_s=600,
        sweep_interval_s=60,
        ping_interval_s=None,
        flush_ms=flush_ms,
    )
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    server = IngestServer(
        Settings(),
        factory,
        AcceptingGateway(),
        "bench",
        options=options,
        password_verifier=PasswordVerifier(hasher),
    )
    await server.start()
    out(str(server.port))
    await asyncio.Event().wait()


async def serve_bare() -> None:
    """The floor: the `ocpp` library answering every message with no work at all."""
    from datetime import UTC, datetime

    import ocpp.messages
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from websockets.asyncio.server import serve

    # Same schema validation mode as the ingest (in the event loop, see
    # IngestOptions.validate_in_loop), so the ratio isolates the ingest's own work.
    ocpp.messages.ASYNC_VALIDATION = False

    def now():
        return datetime.now(UTC).isoformat()

    class Bare(ChargePoint):
        tx = 0

        @on("BootNotification")
        def on_boot(self, **kwargs):
            return call_result.BootNotification(current_time=now(), interval=60, status="Accepted")

        @on("Heartbeat")
        def on_heartbeat(self, **kwargs):
            return call_result.Heartbeat(current_time=now())

        @on("StatusNotification")
        def on_status(self, **kwargs):
            return call_result.StatusNotification()

        @on("MeterValues")
        def on_meter(self, **kwargs):
            return call_result.MeterValues()

        @on("StartTransaction")
        def on_start(self, **kwargs):
            Bare.tx += 1
            return call_result.StartTransaction(
                transaction_id=Bare.tx, id_tag_info={"status": "Accepted"}
            )

        @on("StopTransaction")
        def on_stop(self, **kwargs):
            return call_result.StopTransaction()

    async def handler(connection):
        cp = Bare(connection.request.path.rsplit("/", 1)[-1], connection)
        try:
            await cp.start()
        except Exception:  # noqa: BLE001 - connection closed
            pass

    server = await serve(
        handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"], compression=None, ping_interval=None
    )
    out(str(server.sockets[0].getsockname()[1]))
    await asyncio.Event().wait()
