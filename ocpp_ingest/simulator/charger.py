"""One simulated charger on the `ocpp` library's charge-point side: it boots,
heartbeats, reports status, authorizes, runs sessions with periodic meter values
at a configurable energy rate, and answers every remote action of DOMAIN.md §9
(see `sim_protocol`). Fleets: `ocpp_ingest.simulator`."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from ocpp_ingest.auth import basic_auth_header
from ocpp_ingest.simulator.protocol import DIALECTS, now_iso


@dataclass
class SimSession:
    connector: int
    id_tag: str
    meter_start: int
    started: str
    transaction_id: int | str | None = None
    status: str = ""
    seq_no: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def accepted(self) -> bool:
        return self.status == "Accepted"


@dataclass
class SimStats:
    calls: int = 0
    errors: int = 0
    latencies_s: list[float] = field(default_factory=list)
    boots: Counter = field(default_factory=Counter)
    sessions_started: int = 0
    sessions_accepted: int = 0
    sessions_stopped: int = 0
    energy_wh: int = 0
    remote: Counter = field(default_factory=Counter)


class SimulatedCharger:
    def __init__(
        self,
        ocpp_id: str,
        password: str,
        version: str = "1.6",
        url: str = "ws://127.0.0.1:9000/ocpp",
        *,
        connectors: int = 1,
        energy_rate_w: int = 11000,
        meter_interval_s: float = 60,
        id_tags=("SIM-TAG-1",),
        vendor: str = "EnergyCloud",
        model: str = "SimCharger",
        firmware: str = "1.0.0",
        serial: str | None = None,
        response_timeout: float = 30,
    ):
        if version not in DIALECTS:
            raise ValueError(f"version must be one of {sorted(DIALECTS)}")
        self.ocpp_id, self.password, self.version = ocpp_id, password, version
        self.url = url.rstrip("/")
        self.dialect, self._cp_class = DIALECTS[version]
        self.connectors = connectors
        self.energy_rate_w, self.meter_interval_s = energy_rate_w, meter_interval_s
        self.id_tags = list(id_tags)
        self.vendor, self.model, self.firmware = vendor, model, firmware
        self.serial = serial or ocpp_id
        self.response_timeout = response_timeout
        self.registration = ""
        self.interval = 60
        self.meters = dict.fromkeys(range(1, connectors + 1), 0.0)
        self._meter_at = dict.fromkeys(range(1, connectors + 1), time.monotonic())
        self.available = dict.fromkeys(range(1, connectors + 1), True)
        self.sessions: dict[int, SimSession] = {}
        self.remote_calls: list[tuple[str, dict]] = []
        self.stats = SimStats()
        self.ws = None
        self.cp = None
        self._reader: asyncio.Task | None = None

    # -- connection -----------------------------------------------------------

    async def connect(self) -> None:
        self.ws = await connect(
            f"{self.url}/{quote(self.ocpp_id, safe='')}",
            subprotocols=[self.dialect.subprotocol],
            additional_headers={"Authorization": basic_auth_header(self.ocpp_id, self.password)},
            open_timeout=30,
            ping_interval=None,
            compression=None,
        )
        if self.ws.subprotocol != self.dialect.subprotocol:
            await self.ws.close()
            raise ConnectionError(f"CSMS did not accept {self.dialect.subprotocol}")
        self.cp = self._cp_class(
            self.ocpp_id, self.ws, sim=self, response_timeout=self.response_timeout
        )
        self._reader = asyncio.create_task(self._read(self.cp))

    @staticmethod
    async def _read(cp) -> None:
        with contextlib.suppress(ConnectionClosed):
            await cp.start()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def call(self, payload):
        started = time.perf_counter()
        self.stats.calls += 1
        try:
            result = await self.cp.call(payload, suppress=False)
        except Exception:
            self.stats.errors += 1
            raise
        self.stats.latencies_s.append(time.perf_counter() - started)
        return result

    # -- messages -------------------------------------------------------------

    async def boot(self) -> str:
        result = await self.call(self.dialect.boot(self))
        self.registration, self.interval = result.status, result.interval
        self.stats.boots[result.status] += 1
        return result.status

    async def boot_until_accepted(self, timeout_s: float = 60) -> str:
        """Boot, and while the CSMS answers Pending retry after its interval."""
        deadline = time.monotonic() + timeout_s
        while await self.boot() != "Accepted" and time.monotonic() < deadline:
            await asyncio.sleep(min(self.interval, max(0.0, deadline - time.monotonic())))
        return self.registration

    async def heartbeat(self):
        return await self.call(self.dialect.heartbeat())

    async def status(self, connector: int, status: str) -> None:
        await self.call(self.dialect.status(connector, status))

    async def authorize(self, id_tag: str) -> str:
        return self.dialect.auth_status(await self.call(self.dialect.authorize(id_tag)))

    async def data_transfer(self, vendor_id: str, data: str = ""):
        return await self.call(self.dialect.data_transfer(vendor_id, data))

    def _advance(self, connector: int) -> tuple[int, int]:
        now = time.monotonic()
        running = connector in self.sessions
        power = self.energy_rate_w if running else 0
        self.meters[connector] += power * (now - self._meter_at[connector]) / 3600
        self._meter_at[connector] = now
        return int(self.meters[connector]), power

    async def start_session(self, connector: int = 1, id_tag: str | None = None) -> SimSession:
        energy, _ = self._advance(connector)
        session = SimSession(connector, id_tag or random.choice(self.id_tags), energy, now_iso())
        await self.status(connector, "Preparing")
        result = await self.call(self.dialect.start(session))
        self.dialect.started(session, result)
        self.stats.sessions_started += 1
        self.sessions[connector] = session
        self._meter_at[connector] = time.monotonic()
        if not session.accepted:  # StopTransactionOnInvalidId
            await self.stop_session(connector, "DeAuthorized")
            return session
        self.stats.sessions_accepted += 1
        await self.status(connector, "Charging")
        return session

    async def send_meter_values(self, connector: int = 1) -> None:
        session = self.sessions.get(connector)
        if session is None:
            return
        energy, power = self._advance(connector)
        await self.call(self.dialect.meter(session, energy, power))

    async def stop_session(self, connector: int = 1, reason: str = "Local") -> SimSession | None:
        session = self.sessions.get(connector)
        if session is None or session.done.is_set():
            return session
        session.done.set()
        energy, _ = self._advance(connector)
        del self.sessions[connector]
        await self.call(self.dialect.stop(session, energy, reason))
        self.stats.sessions_stopped += 1
        self.stats.energy_wh += energy - session.meter_start
        await self.status(connector, "Available" if self.available[connector] else "Unavailable")
        return session

    async def run_session(
        self, duration_s: float, connector: int = 1, id_tag: str | None = None
    ) -> SimSession:
        """A session with meter values every `meter_interval_s` until it ends by
        itself, by a remote stop or unlock, or by a reset."""
        session = await self.start_session(connector, id_tag)
        deadline = time.monotonic() + duration_s
        while not session.done.is_set() and time.monotonic() < deadline:
            wait = min(self.meter_interval_s, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.done.wait(), max(0.0, wait))
            if not session.done.is_set():
                await self.send_meter_values(connector)
        await self.stop_session(connector, "EVDisconnected" if self.version == "2.0.1" else "Local")
        return session

    # -- remote actions (called from sim_protocol's handlers) -----------------

    def received(self, action: str, **payload) -> None:
        self.remote_calls.append((action, payload))
        self.stats.remote[action] += 1

    def session_by_transaction(self, transaction_id) -> SimSession | None:
        return next(
            (s for s in self.sessions.values() if str(s.transaction_id) == str(transaction_id)),
            None,
        )

    async def end_transaction(self, transaction_id, reason: str) -> None:
        session = self.session_by_transaction(transaction_id)
        if session is not None:
            await self.stop_session(session.connector, reason)

    async def end_connector(self, connector: int, reason: str) -> None:
        if connector in self.sessions:
            await self.stop_session(connector, reason)

    def availability_answer(self, connector: int | None, operative: bool) -> str:
        targets = [connector] if connector else list(self.available)
        busy = any(n in self.sessions for n in targets)
        return "Scheduled" if busy and not operative else "Accepted"

    async def set_available(self, connector: int | None, operative: bool) -> None:
        for n in [connector] if connector else list(self.available):
            self.available[n] = operative
            if n not in self.sessions:
                await self.status(n, "Available" if operative else "Unavailable")

    async def triggered(self, requested_message: str, connector: int | None) -> None:
        if requested_message == "StatusNotification":
            for n in [connector] if connector else list(self.available):
                state = (
                    "Charging"
                    if n in self.sessions
                    else "Available"
                    if self.available[n]
                    else "Unavailable"
                )
                await self.status(n, state)
        elif requested_message == "Heartbeat":
            await self.heartbeat()
        elif requested_message == "BootNotification":
            await self.boot()

    async def reboot(self, reason: str) -> None:
        """A reset: stop what runs, drop the socket, come back and boot."""
        for n in list(self.sessions):
            with contextlib.suppress(Exception):
                await self.stop_session(n, reason)
        await self.close()
        await self.connect()
        await self.boot_until_accepted(timeout_s=30)
        for n in self.available:
            await self.status(n, "Available" if self.available[n] else "Unavailable")

    # -- a whole life -----------------------------------------------------------

    async def run(
        self,
        duration_s: float,
        *,
        session_every_s: float | None = 60,
        session_duration_s: float | None = None,
    ) -> None:
        deadline = time.monotonic() + duration_s
        await self.connect()
        if await self.boot_until_accepted(timeout_s=duration_s) != "Accepted":
            await self.close()
            return
        for n in self.available:
            await self.status(n, "Available")
        tasks = [asyncio.create_task(self._heartbeats(deadline))]
        if session_every_s:
            length = session_duration_s or session_every_s / 2
            tasks += [
                asyncio.create_task(self._sessions(n, deadline, session_every_s, length))
                for n in self.available
            ]
        await asyncio.gather(*tasks, return_exceptions=True)
        for n in list(self.sessions):
            with contextlib.suppress(Exception):
                await self.stop_session(n)
        await self.close()

    async def _heartbeats(self, deadline: float) -> None:
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(self.interval, left))
            if time.monotonic() < deadline:
                with contextlib.suppress(Exception):
                    await self.heartbeat()

    async def _sessions(
        self, connector: int, deadline: float, every_s: float, length_s: float
    ) -> None:
        await asyncio.sleep(random.uniform(0, every_s))
        while deadline - time.monotonic() > 0:
            started = time.monotonic()
            if self.available[connector]:
                try:
                    await self.run_session(min(length_s, deadline - started), connector)
                except (ConnectionClosed, TimeoutError, OSError):
                    await asyncio.sleep(1)
            await asyncio.sleep(
                max(0.0, min(every_s - (time.monotonic() - started), deadline - time.monotonic()))
            )
