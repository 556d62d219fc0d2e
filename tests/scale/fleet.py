"""Simulated chargers behind a load balancer: a `RoamingCharger` that loses its
socket connects to the next ingest node at once, boots, and delivers again the
transaction message it could not deliver, the same message (OCPP: transaction
messages reach the CSMS after a reconnect; the CSMS treats a repeat as one).
It runs charging sessions (start, meter values, stop) and answers remote
actions (`ocpp_ingest.simulator`). A CSMS that could not process a transaction
message (CallError InternalError) gets it again a moment later, as OCPP 1.6
§4.10 has chargers do."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ocpp.exceptions import InternalError
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ocpp_ingest.simulator import SimulatedCharger
from ocpp_ingest.simulator.charger import SimSession
from ocpp_ingest.simulator.protocol import now_iso

LOST = (ConnectionClosed, ConnectionError, OSError, InvalidHandshake, TimeoutError)
RETRY_AFTER_S, ATTEMPTS = 1.0, 60


@dataclass
class Served:
    """One connection that booted: on which node, when (monotonic)."""

    node: int
    at: float


@dataclass
class SessionRecord:
    ocpp_id: str
    transaction_id: str
    accepted: bool
    started_on: int  # the node that answered the start, and the stop
    stopped_on: int | None = None


class RoamingCharger:
    def __init__(self, sim: SimulatedCharger, urls: list[str], first: int) -> None:
        self.sim, self.urls, self.node = sim, urls, first
        self.served: list[Served] = []
        self.sessions: list[SessionRecord] = []
        self.ready = asyncio.Event()
        self._closing = False
        self._keeper: asyncio.Task | None = None
        self._energy = 0
        self.retries = 0  # messages the CSMS failed to process and got again

    async def start(self) -> None:
        self._keeper = asyncio.create_task(self._keep_connected())
        await self.ready.wait()

    async def close(self) -> None:
        self._closing = True
        await self.sim.close()
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)

    async def _keep_connected(self) -> None:
        """Connect (trying the nodes in turn from the current one), boot, wait
        for the socket to end; again, until closed."""
        while not self._closing:
            try:
                self.sim.url = self.urls[self.node]
                await self.sim.connect()
                if await self.sim.boot() != "Accepted":
                    raise ConnectionError("boot not accepted")
            except LOST:
                await self.sim.close()
                self.node = (self.node + 1) % len(self.urls)
                await asyncio.sleep(0.05)
                continue
            self.served.append(Served(self.node, time.monotonic()))
            self.ready.set()
            await asyncio.gather(self.sim._reader, return_exceptions=True)
            self.ready.clear()

    async def deliver(self, payload):
        """Send `payload` until a node answers it, across reconnects and failures
        of the CSMS to process it."""
        for _ in range(ATTEMPTS):
            await self.ready.wait()
            reader = self.sim._reader
            call = asyncio.ensure_future(self.sim.call(payload))
            await asyncio.wait({call, reader}, return_when=asyncio.FIRST_COMPLETED)
            if call.done():
                try:
                    return call.result()
                except InternalError:
                    self.retries += 1
                    await asyncio.sleep(RETRY_AFTER_S)
                    continue
                except LOST:
                    pass
            else:
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
            while self.sim._reader is reader and not self._closing:
                await asyncio.sleep(0.02)  # the keeper notices and reconnects
        raise RuntimeError(f"{self.sim.ocpp_id}: {type(payload).__name__} never went through")

    async def run_session(self, id_tag: str, meter_values: int, every_s: float) -> None:
        """Start, `meter_values` readings `every_s` apart, stop: each delivered."""
        dialect = self.sim.dialect
        session = SimSession(1, id_tag, self._energy, now_iso())
        result = await self.deliver(dialect.start(session))
        dialect.started(session, result)
        record = SessionRecord(
            self.sim.ocpp_id, str(session.transaction_id), session.accepted, self.node
        )
        self.sessions.append(record)
        for _ in range(meter_values if session.accepted else 0):
            await asyncio.sleep(every_s)
            self._energy += 1_500
            await self.deliver(dialect.meter(session, self._energy, 11_000))
        await self.deliver(dialect.stop(session, self._energy, "Local" if session.accepted
                                        else "DeAuthorized"))
        record.stopped_on = self.node


@dataclass
class Fleet:
    chargers: list[RoamingCharger] = field(default_factory=list)

    @classmethod
    def build(cls, ids: list[str], password: str, urls: list[str], tag: str) -> Fleet:
        """Chargers spread evenly over the nodes, each node's half 1.6, half 2.0.1."""
        return cls([
            RoamingCharger(
                SimulatedCharger(ocpp_id, password, ("1.6", "2.0.1")[i // len(urls) % 2],
                                 urls[i % len(urls)],
                                 energy_rate_w=0, id_tags=[tag], response_timeout=60),
                urls,
                i % len(urls),
            )
            for i, ocpp_id in enumerate(ids)
        ])

    def on_node(self, node: int) -> list[RoamingCharger]:
        return [c for c in self.chargers if c.served and c.served[0].node == node]

    @property
    def sessions(self) -> list[SessionRecord]:
        return [s for c in self.chargers for s in c.sessions]
