"""What every charger connection of one ingest node shares."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from db.base import utcnow
from db.off_loop import run_off_loop
from ocpp_ingest.budgets import NodeBudget
from ocpp_ingest.options import IngestOptions
from ocpp_ingest.writer import DbWriter

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class IngestContext:
    options: IngestOptions
    session_factory: sessionmaker[Session]
    writer: DbWriter
    gateway: Any  # workflows.session_gateway.SessionGateway or a test double
    node_id: str
    # Live charger connections of this node, by OCPP id.
    live: dict[str, Any] = field(default_factory=dict)
    # When each live charger of this node last sent anything, and the last_seen_at
    # last written for it (see IngestServer._flush_touches).
    seen: dict[int, datetime] = field(default_factory=dict)
    persisted: dict[int, datetime] = field(default_factory=dict)
    _background: set[asyncio.Task] = field(default_factory=set)
    # What the node refused or dropped (unsolicited responses, sockets closed over
    # budget, ...): counted for tests and metrics.
    counters: dict[str, int] = field(default_factory=dict)
    node_budget: NodeBudget | None = None

    def __post_init__(self) -> None:
        if self.node_budget is None:
            self.node_budget = NodeBudget(self.options)

    def count(self, what: str) -> None:
        self.counters[what] = self.counters.get(what, 0) + 1

    async def read(self, fn: Callable[[Session], T]) -> T:
        """A read-only unit of work off the event loop."""
        return await run_off_loop(self.session_factory, fn)

    def write(self, fn: Callable[[Session], T]) -> Awaitable[T]:
        """A write in the next group commit; resolves once durable."""
        return self.writer.run(fn)

    def touch(self, cp_id: int) -> None:
        self.seen[cp_id] = utcnow()

    def spawn(self, coro: Awaitable, what: str) -> None:
        """Best-effort work after the reply (e.g. a meter summary signal)."""

        async def guarded():
            try:
                await coro
            except Exception:  # noqa: BLE001 - logged; the data is in the database
                log.warning("%s failed", what, exc_info=True)

        task = asyncio.ensure_future(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
