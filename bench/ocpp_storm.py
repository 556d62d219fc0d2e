"""Reconnect storm (issue 7, item 4): N pre-approved chargers connected to one
ingest node; the node restarts (a fresh process state: no caches); all N
reconnect at the same instant, each opening its websocket with HTTP Basic auth
and sending a BootNotification. Prints how many got in on their first attempt,
how many in all (a charger whose attempt fails retries after 1-5 s, as chargers
do; `--no-retry` to give up instead) and the time from the storm's start to the
last answered boot. The ingest runs in its own process; the chargers' side
shares the machine, so on a loaded machine their own 10 s open timeout counts
against the ingest.

    python bench/ocpp_storm.py --chargers 2000                 # SQLite in a temp dir
    python bench/ocpp_storm.py --chargers 2000 --legacy-argon2 # hashes of old versions

`--legacy-argon2` stores the chargers' passwords as argon2 with the production
parameters (what versions before the fast charger secrets stored): the first
storm after an upgrade then checks argon2 one at a time and refuses the rest
with 503 (they retry); this is reported, not asserted. The test
tests/ocpp/test_ocpp_storm.py runs the same storm with fewer chargers."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "storm-charger-password-0123456789"
BOOT = {"chargePointVendor": "Storm", "chargePointModel": "S1"}


@dataclass
class StormResult:
    chargers: int
    connected: int = 0
    first_attempt: int = 0
    gave_up: int = 0
    # Failed attempts by reason (with retries, a charger may fail and then get in).
    refused: dict[str, int] = field(default_factory=dict)
    seconds_to_last: float = 0.0
    legacy_checks: int = 0

    def line(self) -> str:
        return (
            f"{self.first_attempt}/{self.chargers} connected at the first attempt, "
            f"{self.connected}/{self.chargers} in all; last boot answered "
            f"{self.seconds_to_last:.2f} s after the storm began; failed attempts: "
            f"{self.refused or 'none'}; argon2 checks: {self.legacy_checks}"
        )


def seed(session_factory, n: int, *, prefix: str, legacy_hasher=None) -> list[str]:
    """N pre-approved chargers under one location (bulk: one transaction)."""
    from db.demo import bare_location
    from db.models import ChargingPoint, Connector
    from domain.enums import ChargingPointState
    from ocpp_ingest.auth import hash_password

    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    with session_factory() as s, s.begin():
        location = bare_location(s, customer=f"Storm {uuid.uuid4().hex[:6]}",
                                 organization="Storm org", location="Storm depot")
        stored = legacy_hasher.hash(PASSWORD) if legacy_hasher else None
        for ocpp_id in ids:
            cp = ChargingPoint(
                ocpp_id=ocpp_id,
                customer_id=location.customer_id,
                location_id=location.id,
                name=ocpp_id,
                state=ChargingPointState.PRE_APPROVED,
                password_hash=stored or hash_password(PASSWORD),
            )
            cp.connectors = [Connector(number=1)]
            s.add(cp)
    return ids


async def _attempt(url: str, ocpp_id: str, keep: asyncio.Event, result) -> float | str:
    """One connection attempt: the time its boot was answered, or why it failed."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    from ocpp_ingest.auth import basic_auth_header

    try:
        async with connect(
            f"{url}/{ocpp_id}",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": basic_auth_header(ocpp_id, PASSWORD)},
            compression=None,
            open_timeout=10,
            ping_interval=None,
        ) as ws:
            await ws.send(json.dumps([2, "boot", "BootNotification", BOOT]))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if answer[0] != 3 or answer[2].get("status") != "Accepted":
                return "boot " + str(answer)[:60]
            done = time.monotonic()
            result.connected += 1
            await keep.wait()
            return done
    except InvalidStatus as refused:
        return f"HTTP {refused.response.status_code}"
    except TimeoutError:
        return "handshake timed out"
    except OSError as error:
        return type(error).__name__


async def _one(url, ocpp_id, start, keep, result, retry: bool, deadline: float):
    """A charger: connects when the storm starts; with `retry`, tries again after
    1-5 s (what chargers do) until `deadline`."""
    await start.wait()
    first = True
    while True:
        outcome = await _attempt(url, ocpp_id, keep, result)
        if isinstance(outcome, float):
            if first:
                result.first_attempt += 1
            return outcome
        result.refused[outcome] = result.refused.get(outcome, 0) + 1
        first = False
        if not retry or time.monotonic() > deadline:
            result.gave_up += 1
            return None
        await asyncio.sleep(random.uniform(1, 5))


async def storm(
    ids: list[str], url: str, result: StormResult, *, retry: bool = False
) -> StormResult:
    start, keep = asyncio.Event(), asyncio.Event()
    began = time.monotonic()
    deadline = began + 120
    tasks = [asyncio.create_task(_one(url, i, start, keep, result, retry, deadline)) for i in ids]
    await asyncio.sleep(0)
    began = time.monotonic()
    start.set()
    while result.connected + result.gave_up < len(ids):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    keep.set()
    times = [t for t in await asyncio.gather(*tasks) if t is not None]
    result.seconds_to_last = (max(times) - began) if times else float("nan")
    return result


async def run_storm(session_factory, n: int, *, make_server, legacy_hasher=None) -> StormResult:
    """Connect N chargers, restart the node (`make_server()` builds a fresh one on
    the same port), and measure the storm of all N reconnecting at once."""
    ids = seed(session_factory, n, prefix=f"ST{uuid.uuid4().hex[:4]}", legacy_hasher=legacy_hasher)
    first = make_server(0)
    await first.start()
    port = first.port
    warmup = StormResult(n)
    try:
        await storm(ids, first.url, warmup)
    finally:
        await first.stop()
    second = make_server(port)
    await second.start()
    try:
        result = await storm(ids, second.url, StormResult(n))
        result.legacy_checks = second.verifier.legacy_checks
        result.refused = {**result.refused}
        return result
    finally:
        await second.stop()


class _Gateway:
    async def start(self, start):  # pragma: no cover - the storm only boots
        raise AssertionError("no transactions in a storm")


async def _serve(database_url: str, port: int) -> None:
    """The ingest node as its own process (what `energycloud ingest` runs)."""
    import signal

    from db.base import make_engine, make_sessionmaker
    from energycloud.settings import Settings
    from ocpp_ingest.options import IngestOptions
    from ocpp_ingest.server import IngestServer

    factory = make_sessionmaker(make_engine(database_url))
    options = IngestOptions(port=port, ping_interval_s=None, sweep_interval_s=3600)
    server = IngestServer(Settings(), factory, _Gateway(), "storm", options=options)
    await server.start()
    print(server.port, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(f"legacy_checks {server.verifier.legacy_checks}", flush=True)
    await server.stop()


async def _node(database_url: str, port: int):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        "--database-url",
        database_url,
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
    )
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    return proc, int(line)


async def _stop(proc) -> int:
    proc.terminate()
    out, _ = await proc.communicate()
    for line in out.decode().splitlines():
        if line.startswith("legacy_checks"):
            return int(line.split()[1])
    return 0


async def storm_across_a_restart(database_url: str, ids: list[str], retry: bool) -> StormResult:
    """The ingest in its own process, restarted between the two rounds."""
    proc, port = await _node(database_url, 0)
    try:
        await storm(ids, f"ws://127.0.0.1:{port}/ocpp", StormResult(len(ids)))
    finally:
        await _stop(proc)
    proc, port = await _node(database_url, port)
    result = StormResult(len(ids))
    try:
        await storm(ids, f"ws://127.0.0.1:{port}/ocpp", result, retry=retry)
    finally:
        result.legacy_checks = await _stop(proc)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--legacy-argon2", action="store_true")
    parser.add_argument(
        "--no-retry", action="store_true", help="a charger whose attempt fails gives up"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.database_url, args.port))
        return 0

    from argon2 import PasswordHasher

    from db.base import make_engine, make_sessionmaker
    from db.schema import reset_schema

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='ocpp-storm-')}/storm.db"
    engine = make_engine(url)
    reset_schema(engine)
    legacy = PasswordHasher() if args.legacy_argon2 else None
    ids = seed(make_sessionmaker(engine), args.chargers, prefix="ST", legacy_hasher=legacy)
    engine.dispose()
    print(f"{args.chargers} chargers, {url}, cpus {os.cpu_count()}", flush=True)
    result = asyncio.run(storm_across_a_restart(url, ids, not args.no_retry))
    print(result.line(), flush=True)
    return 0 if result.connected == args.chargers else 1


if __name__ == "__main__":
    raise SystemExit(main())
