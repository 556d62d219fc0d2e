"""What both protocol versions' CSMS-side charge point objects share: message
routing that answers every broken frame with the right CALLERROR (see
`ocpp_ingest.errors`) and keeps the connection open, the connection's context,
and small helpers."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from datetime import UTC, datetime
from functools import partial

from ocpp.exceptions import FormationViolationError, InternalError, OCPPError, SecurityError
from ocpp.messages import CallError, MessageType, unpack
from websockets.exceptions import ConnectionClosed

from db import ocpp_connections, ocpp_messages
from db.base import utcnow
from db.models import ConnectorStatusHistory
from ocpp_ingest.budgets import ConnectionBudget
from ocpp_ingest.calls import RememberingCalls
from ocpp_ingest.context import IngestContext
from ocpp_ingest.errors import excerpt, for_version, frame_error, framing_error, unknown_action
from ocpp_ingest.frames import envelope_problem, frame_problem, head, payload_problem, unpack_parsed
from ocpp_ingest.transactions import TransactionTracker

log = logging.getLogger(__name__)


def _cause_of(error: OCPPError) -> str:
    return excerpt(str((error.details or {}).get("cause") or error.description), 200)


def _peer(connection) -> str:
    try:
        return str(connection.remote_address[0])
    except (TypeError, IndexError, AttributeError):
        return "unknown"


def _drop(connection, code: int, reason: str) -> None:
    """Close now: the close frame goes out at once and everything the charger
    still sends is discarded unread (its unread frames fill the buffer, so a
    polite close would wait behind them). Reading resumes so its close answer and
    end of stream are seen; closing the TCP socket with unread data instead
    would reset it, and a reset can destroy the close frame before it is read."""
    try:
        connection.protocol.fail(code, reason)  # from here incoming data is discarded
        connection.send_data()
        connection.transport.resume_reading()
    except Exception:  # noqa: BLE001 - already closing or closed
        connection.transport.abort()


async def _put_unless_done(queue: asyncio.Queue, item, task: asyncio.Task) -> None:
    """Queue `item`, waiting for room, unless `task` (the queue's reader) ends first.
    With room in the queue (nearly always) it is queued at once, without the task
    and wait a full queue needs: at 8,000 chargers those were a fifth of the event
    loop's time (py-spy)."""
    if not queue.full() and not task.done():
        queue.put_nowait(item)
        return
    put = asyncio.ensure_future(queue.put(item))
    await asyncio.wait({put, task}, return_when=asyncio.FIRST_COMPLETED)
    put.cancel()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BoundedLog(logging.LoggerAdapter):
    """The `ocpp` library logs whole messages; a charger's megabyte frame must not
    become a megabyte log line. Every argument is cut to an excerpt."""

    def log(self, level, msg, *args, **kwargs):
        if self.isEnabledFor(level):
            args = tuple(a if isinstance(a, int | float) else excerpt(str(a)) for a in args)
            self.logger.log(level, msg, *args, **kwargs)


_LIBRARY_LOG = BoundedLog(logging.getLogger("ocpp"), {})
# What a charger the platform has not claimed yet may do (DOMAIN.md §9).
PENDING_ACTIONS = frozenset({"BootNotification", "Heartbeat"})


class IngestChargePoint(RememberingCalls):
    """Mixin placed before `ocpp.v16.ChargePoint` / `ocpp.v201.ChargePoint`."""

    protocol: str = ""
    known_actions: frozenset[str] = frozenset()
    _ocpp_version: str

    def __init__(
        self,
        ocpp_id: str,
        connection,
        *,
        ctx: IngestContext,
        cp_id: int,
        password_hash: str | None = None,
        pending: bool = False,
        first_connected_at: datetime | None = None,
    ):
        super().__init__(
            ocpp_id, connection, response_timeout=ctx.options.command_timeout_s, logger=_LIBRARY_LOG
        )
        self.ctx = ctx
        self.cp_id = cp_id
        self.tx = TransactionTracker(
            ctx, cp_id=cp_id, ocpp_id=ocpp_id, first_connected_at=first_connected_at
        )
        self.messages = 0
        self.unsolicited = 0
        # The stored password hash this socket proved (see db.ocpp_connections.record_boot).
        self.password_hash = password_hash
        # Unclaimed: only BootNotification and Heartbeat until a boot is Accepted.
        self.pending = pending
        self.budget = ConnectionBudget(ctx.options, ctx.node_budget)
        # Ids of the calls we sent and wait for: only their answers are queued for
        # `call()`; anything else a charger sends as a "response" is dropped.
        self._awaiting: deque[str] = deque(maxlen=8)
        self._unique_id_generator = self._new_call_id

    def _new_call_id(self) -> str:
        unique_id = str(uuid.uuid4())
        self._awaiting.append(unique_id)
        return unique_id

    @property
    def connection(self):
        return self._connection

    async def start(self):
        """The library's receive loop, with the budgets first: a socket over its
        message or byte budget (or the node over its own) is closed (1008).

        The charger's calls are handled one after the other, in the order they
        came (a StopTransaction after its StartTransaction), by a task of their
        own; the answer to a command we sent (CallResult/CallError) is taken the
        moment it arrives, not after a call ahead of it that waits on its session
        workflow. Calls already received are still handled when the socket closes."""
        calls: asyncio.Queue = asyncio.Queue(maxsize=self.ctx.options.max_queued_frames)
        handler = asyncio.create_task(self._handle_calls(calls))
        try:
            while not handler.done():
                try:
                    raw = await self._connection.recv()
                except ConnectionClosed:
                    await _put_unless_done(calls, None, handler)
                    await handler
                    raise
                reason = self.budget.admit(len(raw))
                if reason is not None:
                    self.ctx.count("closed_over_budget")
                    log.warning(
                        "closing charger %s (%s): %s", self.id, _peer(self._connection), reason
                    )
                    _drop(self._connection, 1008, reason[:120])
                    return
                if head(raw)[0] in (MessageType.CallResult, MessageType.CallError):
                    await self.route_message(raw)
                else:
                    await _put_unless_done(calls, raw, handler)
            await handler  # it ended first: its error (a closed socket) is ours
        finally:
            handler.cancel()

    async def _handle_calls(self, calls: asyncio.Queue) -> None:
        while (raw := await calls.get()) is not None:
            await self.route_message(raw)

    async def _send(self, message):
        log.debug("to %s: %s", self.id, excerpt(message))
        await self._connection.send(message)

    async def route_message(self, raw_msg):
        self.messages += 1
        self.ctx.touch(self.cp_id)
        try:
            await self._route(raw_msg)
        except ConnectionClosed:
            raise
        except Exception:  # noqa: BLE001 - one frame never ends the connection
            log.exception("charger %s: frame not handled: %s", self.id, excerpt(raw_msg))
            message_type, unique_id = head(raw_msg)
            if message_type == MessageType.Call and unique_id != "-1":
                error = InternalError(details={"cause": "the CSMS failed on this message"})
                await self._send(
                    CallError(unique_id, error.code, error.description, error.details).to_json()
                )

    async def _route(self, raw_msg):
        version = self._ocpp_version
        problem = frame_problem(raw_msg, self.ctx.options.max_frame_bytes)
        if problem is not None:
            message_type, unique_id = head(raw_msg)
            log.info("charger %s sent an unusable frame: %s", self.id, _cause_of(problem))
            if message_type in (MessageType.CallResult, MessageType.CallError):
                self.ctx.count("responses_dropped")
                return
            await self._send(framing_error(unique_id, problem, version).to_json())
            return
        try:
            data = json.loads(raw_msg)
        except RecursionError:
            data = None
            problem = FormationViolationError(details={"cause": "JSON nested too deeply"})
        except ValueError:
            data = None  # the library's own answer for unparseable text follows
        if isinstance(data, list):
            problem = envelope_problem(data)
        if problem is not None:
            log.info("charger %s sent an unusable frame: %s", self.id, _cause_of(problem))
            unique_id = data[1] if isinstance(data, list) and len(data) > 1 else head(raw_msg)[1]
            if not isinstance(unique_id, str) or len(unique_id) > 36:
                unique_id = "-1"
            if isinstance(data, list) and data and data[0] in (3, 4):
                return  # a broken response: never answered
            await self._send(framing_error(unique_id, problem, version).to_json())
            return
        try:
            msg = unpack_parsed(data) if isinstance(data, list) else unpack(raw_msg)
        except OCPPError as error:
            log.info("charger %s sent an unusable frame: %s", self.id, _cause_of(error))
            answer = frame_error(raw_msg, error, version)
            if answer is not None:
                await self._send(answer.to_json())
            return

        if msg.message_type_id != MessageType.Call:
            if msg.unique_id in self._awaiting:
                self._awaiting.remove(msg.unique_id)
                self._response_queue.put_nowait(msg)
            else:  # not an answer to anything we asked: dropped, counted
                self.unsolicited += 1
                self.ctx.count("unsolicited_responses")
            return
        handlers = self.route_map.get(msg.action) if isinstance(msg.action, str) else None
        if not handlers or "_on_action" not in handlers:
            error = unknown_action(msg.action, version, self.known_actions)
            await self._send(msg.create_call_error(error).to_json())
            return
        if self.pending and msg.action not in PENDING_ACTIONS:
            error = SecurityError(
                details={
                    "cause": f"charger {self.id} is not accepted yet: only BootNotification "
                    "and Heartbeat until it is added to the platform"
                }
            )
            await self._send(msg.create_call_error(error).to_json())
            return
        problem = payload_problem(msg.payload)
        if problem is not None:
            log.info("charger %s: %s refused: %s", self.id, msg.action, _cause_of(problem))
            await self._send(msg.create_call_error(for_version(problem, version)).to_json())
            return
        try:
            await self._handle_call(msg)
        except OCPPError as error:
            log.info("charger %s: %s refused: %s", self.id, msg.action, _cause_of(error))
            await self._send(msg.create_call_error(for_version(error, version)).to_json())

    # -- shared handler pieces ------------------------------------------------

    async def _boot(self, *, vendor, model, firmware_version, serial_number) -> tuple[str, int]:
        booted = await self.ctx.write(
            partial(
                ocpp_connections.boot,
                cp_id=self.cp_id,
                vendor=vendor,
                model=model,
                firmware_version=firmware_version,
                serial_number=serial_number,
                now=utcnow(),
                password_hash=self.password_hash,
            )
        )
        status = booted.registration
        self.tx.first_connected_at = booted.first_connected_at
        self.pending = status != "Accepted"
        options = self.ctx.options
        interval = (
            options.heartbeat_interval_s
            if status == "Accepted"
            else options.pending_boot_interval_s
        )
        log.info("charger %s booted (%s %s): %s", self.id, vendor, model, status)
        return status, interval

    async def _status(
        self,
        *,
        connector: int,
        status: str,
        error_code=None,
        info=None,
        vendor_error_code=None,
        reported_at: datetime,
    ) -> None:
        """Stored before the answer: the history row and the current status, as
        batched rows and statements of the writer (a charger's own status,
        connector 0, as a unit of work)."""
        writer = self.ctx.writer
        row = ocpp_messages.status_history_row(
            cp_id=self.cp_id, connector=connector, status=status, error_code=error_code,
            info=info, vendor_error_code=vendor_error_code, reported_at=reported_at,
        )
        if connector <= 0:
            current = self.ctx.write(
                partial(
                    ocpp_messages.record_station_status, cp_id=self.cp_id, status=status,
                    error_code=error_code, reported_at=reported_at,
                )
            )
        else:
            current = writer.execute(
                ocpp_messages.CONNECTOR_STATUS_UPDATE,
                ocpp_messages.connector_status_params(
                    cp_id=self.cp_id, connector=connector, status=status, reported_at=reported_at
                ),
                unmatched=ocpp_messages.add_unknown_connector,
            )
        await asyncio.gather(writer.insert_rows(ConnectorStatusHistory, [row]), current)

    async def _data_transfer(self, *, vendor_id, message_id, data) -> str:
        status = "UnknownVendorId"
        await self.ctx.write(
            partial(
                ocpp_messages.record_data_transfer,
                cp_id=self.cp_id,
                vendor_id=vendor_id,
                message_id=message_id,
                data=data,
                answer_status=status,
            )
        )
        return status
