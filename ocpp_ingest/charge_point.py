"""What both protocol versions' CSMS-side charge point objects share: message
routing that answers every broken frame with the right CALLERROR (see
`ocpp_ingest.errors`) and keeps the connection open, the connection's context,
and small helpers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial

from ocpp.exceptions import OCPPError
from ocpp.messages import MessageType, unpack

from db.base import utcnow
from ocpp_ingest import store
from ocpp_ingest.context import IngestContext
from ocpp_ingest.errors import for_version, frame_error, unknown_action
from ocpp_ingest.transactions import TransactionTracker

log = logging.getLogger(__name__)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class IngestChargePoint:
    """Mixin placed before `ocpp.v16.ChargePoint` / `ocpp.v201.ChargePoint`."""

    protocol: str = ""
    known_actions: frozenset[str] = frozenset()
    _ocpp_version: str

    def __init__(self, ocpp_id: str, connection, *, ctx: IngestContext, cp_id: int):
        super().__init__(ocpp_id, connection, response_timeout=ctx.options.command_timeout_s)
        self.ctx = ctx
        self.cp_id = cp_id
        self.tx = TransactionTracker(ctx, cp_id=cp_id, ocpp_id=ocpp_id)
        self.messages = 0

    @property
    def connection(self):
        return self._connection

    async def route_message(self, raw_msg):
        self.messages += 1
        self.ctx.touch(self.cp_id)
        version = self._ocpp_version
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            log.info("charger %s sent an unusable frame: %s", self.id, error)
            answer = frame_error(raw_msg, error, version)
            if answer is not None:
                await self._send(answer.to_json())
            return

        if msg.message_type_id != MessageType.Call:
            self._response_queue.put_nowait(msg)
            return
        handlers = self.route_map.get(msg.action) if isinstance(msg.action, str) else None
        if not handlers or "_on_action" not in handlers:
            error = unknown_action(msg.action, version, self.known_actions)
            await self._send(msg.create_call_error(error).to_json())
            return
        try:
            await self._handle_call(msg)
        except OCPPError as error:
            log.info("charger %s: %s refused: %s", self.id, msg.action, error)
            await self._send(msg.create_call_error(for_version(error, version)).to_json())

    # -- shared handler pieces ------------------------------------------------

    async def _boot(self, *, vendor, model, firmware_version, serial_number) -> tuple[str, int]:
        status = await self.ctx.write(
            partial(
                store.record_boot,
                cp_id=self.cp_id,
                vendor=vendor,
                model=model,
                firmware_version=firmware_version,
                serial_number=serial_number,
                now=utcnow(),
            )
        )
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
        await self.ctx.write(
            partial(
                store.record_status,
                cp_id=self.cp_id,
                connector=connector,
                status=status,
                error_code=error_code,
                info=info,
                vendor_error_code=vendor_error_code,
                reported_at=reported_at,
            )
        )

    async def _data_transfer(self, *, vendor_id, message_id, data) -> str:
        status = "UnknownVendorId"
        await self.ctx.write(
            partial(
                store.record_data_transfer,
                cp_id=self.cp_id,
                vendor_id=vendor_id,
                message_id=message_id,
                data=data,
                answer_status=status,
            )
        )
        return status
