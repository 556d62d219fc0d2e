"""What an ingest node does besides answering chargers, on timers: write when
chargers were last heard from, renew the node's lease (remote actions and other
nodes' sweepers read it), and mark silent chargers offline.

The last socket to connect owns a charger's row (node + connection id,
db/ocpp_connections.py); every write here is conditional on that ownership, so
a node never overwrites what a newer node wrote.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import partial

from db import ocpp_connections, ocpp_nodes
from db.base import utcnow
from db.off_loop import run_off_loop
from ocpp_ingest.context import IngestContext

log = logging.getLogger("ocpp_ingest.server")


class NodeUpkeep:
    def __init__(self, ctx: IngestContext, connections: dict[int, str]):
        self.ctx = ctx
        # cp_id -> the id of this node's socket that owns the charger's row.
        self._connections = connections

    def start(self) -> list[asyncio.Task]:
        """The node's timers, as tasks the server cancels when it stops."""
        options = self.ctx.options
        return [
            asyncio.create_task(self._every(options.touch_flush_s, self.flush_touches)),
            asyncio.create_task(self._every(options.sweep_interval_s, self.sweep)),
            asyncio.create_task(self._every(options.node_lease_s / 3, self.renew_lease)),
        ]

    async def _every(self, interval_s: float, job) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await job()
            except Exception:  # noqa: BLE001 - keep the loop alive
                log.warning("periodic %s failed", job.__name__, exc_info=True)

    async def flush_touches(self, *, everything: bool = False) -> None:
        """Write last_seen_at of chargers heard from since it was last written more
        than `touch_every_s` ago, in chunks so other writes interleave."""
        every = timedelta(seconds=self.ctx.options.touch_every_s)
        persisted = self.ctx.persisted
        due = {
            cp_id: ts
            for cp_id, ts in self.ctx.seen.items()
            if cp_id not in persisted
            or (ts > persisted[cp_id] and (everything or ts - persisted[cp_id] >= every))
        }
        items = list(due.items())
        for i in range(0, len(items), 200):
            chunk = dict(items[i : i + 200])
            await self.ctx.write(
                partial(
                    ocpp_connections.touch_many,
                    node=self.ctx.node_id,
                    seen=chunk,
                    connections={
                        k: self._connections[k] for k in chunk if k in self._connections
                    },
                )
            )
            persisted.update(chunk)

    async def renew_lease(self, *, ending: bool = False) -> None:
        """In a transaction of its own, not queued behind a storm's writes."""
        now = utcnow()
        until = now if ending else now + timedelta(seconds=self.ctx.options.node_lease_s)
        await run_off_loop(
            self.ctx.session_factory,
            partial(ocpp_nodes.renew_lease, node=self.ctx.node_id, now=now, until=until),
            commit=True,
        )

    async def sweep(self) -> list[str]:
        """Mark chargers silent for longer than `offline_after_s` offline (ours, and
        those of nodes past their lease: a crashed node cannot do it for its own;
        never another live node's), and close such sockets of ours. Our own
        chargers' freshness is known here better than in the database."""
        now = utcnow()
        silent_after = timedelta(seconds=self.ctx.options.offline_after_s)
        fresh = [cp_id for cp_id, ts in self.ctx.seen.items() if now - ts < silent_after]
        swept = await self.ctx.write(
            partial(
                ocpp_connections.sweep_offline,
                node=self.ctx.node_id,
                now=now,
                cutoff=now - silent_after,
                keep=fresh,
            )
        )
        for ocpp_id in swept:
            cp = self.ctx.live.pop(ocpp_id, None)
            if cp is not None:
                cp.swept = True
                self.ctx.seen.pop(cp.cp_id, None)
                self.ctx.persisted.pop(cp.cp_id, None)
                asyncio.ensure_future(cp.connection.close(1000, "silent for too long"))
        if swept:
            log.info("marked offline: %s", ", ".join(swept))
        return swept
