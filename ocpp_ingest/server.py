"""The OCPP-J websocket CSMS of one ingest node: `/ocpp/<ocpp_id>`, OCPP 1.6J
(`ocpp1.6`) and 2.0.1 (`ocpp2.0.1`), security profile 1 (HTTP Basic at the
upgrade). Runs the node's Temporal worker for remote actions, the buffered
database writer and the node's upkeep (ocpp_ingest/upkeep.py: last-seen writes,
the node lease, the offline sweeper).

    server = IngestServer(settings, session_factory, gateway, "node-1",
                          temporal_client=client)
    await server.start()       # server.port is the bound port (options port=0)
    ...
    await server.stop()

`run(settings)` is one node as a process (`energycloud ingest`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import signal
import sys
import uuid
from datetime import timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from db import ocpp_connections
from db.base import utcnow
from ocpp_ingest.admission import Admission, Admitter
from ocpp_ingest.auth import PasswordVerifier
from ocpp_ingest.context import IngestContext
from ocpp_ingest.options import SUBPROTOCOLS, IngestOptions, node_task_queue
from ocpp_ingest.upkeep import NodeUpkeep
from ocpp_ingest.v16 import ChargePoint16
from ocpp_ingest.v201 import ChargePoint201
from ocpp_ingest.writer import DbWriter

log = logging.getLogger(__name__)

PATH = re.compile(r"/ocpp/([^/?#]{1,64})/?")
HANDLERS = {"ocpp1.6": ChargePoint16, "ocpp2.0.1": ChargePoint201}


class IngestServer:
    def __init__(
        self,
        settings,
        session_factory: sessionmaker[Session],
        gateway,
        node_id: str | None = None,
        *,
        temporal_client=None,
        options: IngestOptions | None = None,
        password_verifier: PasswordVerifier | None = None,
    ):
        self.options = options or IngestOptions.from_settings(settings)
        self.node_id = node_id or getattr(settings, "ocpp_node_id", "node-1")
        self.temporal_client = temporal_client
        self.writer = DbWriter(
            session_factory, flush_rows=self.options.flush_rows, flush_ms=self.options.flush_ms
        )
        self.ctx = IngestContext(self.options, session_factory, self.writer, gateway, self.node_id)
        self.verifier = password_verifier or PasswordVerifier()
        self.admitter = Admitter(self.ctx, self.verifier)
        self._server = None
        # cp_id -> the id of our socket that owns the charger's row (see on_connect).
        self._connections: dict[int, str] = {}
        self.upkeep = NodeUpkeep(self.ctx, self._connections)
        self._tasks: list[asyncio.Task] = []
        self._worker = None
        self._worker_task: asyncio.Task | None = None

    # -- lifecycle ------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """Base URL chargers are pointed at; a charger appends its OCPP id."""
        return f"ws://{self.options.host}:{self.port}/ocpp"

    @property
    def live(self) -> dict:
        """OCPP id -> the live charge point object of this node."""
        return self.ctx.live

    async def start(self) -> None:
        if self.options.validate_in_loop:
            import ocpp.messages

            ocpp.messages.ASYNC_VALIDATION = False  # process-wide knob of the library
        if self.options.switch_interval_s is not None:
            sys.setswitchinterval(self.options.switch_interval_s)  # see IngestOptions
        if self.options.gc_thresholds is not None:
            gc.set_threshold(*self.options.gc_thresholds)  # see IngestOptions
        self.writer.start()
        await self.upkeep.renew_lease()  # remote actions find this node from now on
        self._server = await serve(
            self._handle,
            self.options.host,
            self.options.port,
            subprotocols=list(SUBPROTOCOLS),
            select_subprotocol=self._select_subprotocol,
            process_request=self.admitter.process_request,
            ping_interval=self.options.ping_interval_s,
            compression=None,
            max_size=self.options.max_websocket_frame_bytes,
            max_queue=self.options.max_queued_frames,
            # A fleet reconnecting at once: asyncio's default listen backlog (100)
            # drops SYNs beyond it, and a dropped SYN costs the charger 1-7 s.
            backlog=self.options.listen_backlog,
        )
        self._tasks = self.upkeep.start()
        if self.temporal_client is not None:
            self._start_worker()
        log.info("OCPP ingest node %s listening on %s", self.node_id, self.url)

    def _start_worker(self) -> None:
        from temporalio.worker import Worker

        from activities.ocpp_commands import NodeCommands
        from ocpp_ingest.commands import send_to_live
        from workflows.ocpp_command import OcppCommandWorkflow

        self._worker = Worker(
            self.temporal_client,
            task_queue=node_task_queue(self.node_id),
            workflows=[OcppCommandWorkflow],
            activities=[NodeCommands(partial(send_to_live, self.ctx.live)).send_ocpp_command],
            graceful_shutdown_timeout=timedelta(seconds=1),
        )
        self._worker_task = asyncio.create_task(self._worker.run())
        self._worker_task.add_done_callback(_log_worker_end)

    async def stop(self) -> None:
        if self._worker is not None:
            with contextlib.suppress(Exception):
                await self._worker.shutdown()
            self._worker = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.ctx.drain()
        with contextlib.suppress(Exception):
            await self.upkeep.flush_touches()
        with contextlib.suppress(Exception):
            await self.upkeep.renew_lease(ending=True)
        await self.writer.stop()

    async def __aenter__(self) -> IngestServer:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # -- handshake --------------------------------------------------------------

    @staticmethod
    def _select_subprotocol(connection: ServerConnection, offered) -> str | None:
        # The charger lists its versions in order of preference.
        for subprotocol in offered:
            if subprotocol in SUBPROTOCOLS:
                return subprotocol
        return None  # completes the handshake without one, then _handle closes

    # -- connection -------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        admission: Admission | None = getattr(connection, "admission", None)
        if admission is None:
            await connection.close(1008, "not admitted")
            return
        subprotocol = connection.subprotocol
        if subprotocol not in HANDLERS:
            offered = ", ".join(connection.request.headers.get_all("Sec-WebSocket-Protocol"))
            log.info(
                "charger %s offered no supported subprotocol (%s)",
                admission.ocpp_id,
                offered or "none",
            )
            await connection.close(1002, "Unsupported OCPP version: offer ocpp1.6 or ocpp2.0.1")
            return
        connection_id = uuid.uuid4().hex
        connected = await self.ctx.write(
            partial(
                ocpp_connections.connect,
                ocpp_id=admission.ocpp_id,
                protocol=subprotocol,
                node=self.node_id,
                connection=connection_id,
                now=utcnow(),
                set_password_hash=admission.set_password_hash,
                cp_id=admission.cp_id,
            )
        )
        cp = HANDLERS[subprotocol](
            admission.ocpp_id,
            connection,
            ctx=self.ctx,
            cp_id=connected.cp_id,
            password_hash=admission.password_hash,
            pending=admission.pending,
            first_connected_at=connected.first_connected_at,
        )
        cp_id = connected.cp_id
        previous = self.ctx.live.get(admission.ocpp_id)
        self.ctx.live[admission.ocpp_id] = cp
        self._connections[cp_id] = connection_id
        if previous is not None:  # the charger reconnected before the old socket died
            asyncio.ensure_future(previous.connection.close(1000, "replaced by a new connection"))
        log.info(
            "charger %s connected (%s) to node %s", admission.ocpp_id, subprotocol, self.node_id
        )
        try:
            await cp.start()
        except ConnectionClosed:
            pass
        finally:
            current = self.ctx.live.get(admission.ocpp_id) is cp
            if current or getattr(cp, "swept", False):
                if current:
                    del self.ctx.live[admission.ocpp_id]
                if self._connections.get(cp_id) == connection_id:
                    del self._connections[cp_id]
                self.ctx.seen.pop(cp_id, None)
                self.ctx.persisted.pop(cp_id, None)
                with contextlib.suppress(Exception):
                    await self.ctx.write(
                        partial(
                            ocpp_connections.on_disconnect,
                            cp_id=cp_id,
                            node=self.node_id,
                            connection=connection_id,
                            now=utcnow(),
                        )
                    )
            log.info("charger %s disconnected", admission.ocpp_id)

    async def sweep(self) -> list[str]:
        """Mark silent chargers offline now (NodeUpkeep.sweep)."""
        return await self.upkeep.sweep()


def _log_worker_end(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("remote-action worker stopped: %s", task.exception(), exc_info=task.exception())


async def run(
    settings,
    *,
    stop: asyncio.Event | None = None,
    temporal_client=None,
    gateway=None,
    session_factory=None,
) -> None:
    """One ingest node until cancelled (or `stop` is set): connects to Temporal,
    builds the session gateway, serves chargers and this node's remote actions.
    `settings` come from the entry point (`energycloud ingest`): the ingest
    reads no settings itself."""
    from db.base import make_engine, make_sessionmaker

    if session_factory is None:
        session_factory = make_sessionmaker(make_engine(settings.database_url))
    if temporal_client is None:
        from workflows.temporal_client import connect_temporal

        temporal_client = await connect_temporal(
            settings.temporal_address, settings.temporal_namespace
        )
    if gateway is None:
        from workflows.session_gateway import SessionGateway
        from workflows.session_types import SessionConfig

        gateway = SessionGateway(
            client=temporal_client,
            session_factory=session_factory,
            task_queue=settings.task_queue,
            config=SessionConfig.from_settings(settings),
        )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # A clean stop writes what is buffered and marks our chargers offline.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
    async with IngestServer(
        settings, session_factory, gateway, settings.ocpp_node_id, temporal_client=temporal_client
    ):
        await stop.wait()
