"""OCPP 1.6J, CSMS side. Thin handlers; the work is in `transactions` and `store`."""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from db.base import utcnow
from ocpp_ingest.answers import VersionChargePoint, auth_status_filter
from ocpp_ingest.errors import parse_timestamp
from ocpp_ingest.meters import readings_v16
from ocpp_ingest.transactions import require_connector

AUTH_STATUSES = frozenset({"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"})
auth_status = auth_status_filter(AUTH_STATUSES)  # 2.0.1-only answers become Invalid

# Notifications we acknowledge with an empty answer (logged by the library).
ACKNOWLEDGED = (
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "SecurityEventNotification",
    "SignedFirmwareStatusNotification",
    "LogStatusNotification",
)


class ChargePoint16(
    VersionChargePoint,
    ChargePoint,
    protocol="ocpp1.6",
    actions=Action,
    call_result=call_result,
    acknowledged=ACKNOWLEDGED,
):
    @on(Action.boot_notification)
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        return await self._boot_answer(
            vendor=charge_point_vendor,
            model=charge_point_model,
            firmware_version=kwargs.get("firmware_version"),
            serial_number=kwargs.get("charge_point_serial_number")
            or kwargs.get("charge_box_serial_number"),
        )

    @on(Action.status_notification)
    async def on_status_notification(self, connector_id, error_code, status, **kwargs):
        require_connector(connector_id)
        reported_at, _ = await self.tx.believable(
            parse_timestamp(kwargs.get("timestamp"), default=utcnow()), what="status", past=False
        )
        await self._status(
            connector=connector_id,
            status=status,
            error_code=error_code,
            info=kwargs.get("info"),
            vendor_error_code=kwargs.get("vendor_error_code"),
            reported_at=reported_at,
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag, **kwargs):
        answer = await self.ctx.gateway.authorize(self.id, id_tag)
        return call_result.Authorize(id_tag_info={"status": auth_status(answer.status)})

    @on(Action.start_transaction)
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        reported_at = parse_timestamp(timestamp)
        started_at, replaced = await self.tx.believable(reported_at, what="start")
        tx = await self.tx.allocate_v16(
            connector=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            timestamp_raw=timestamp,
            started_at=started_at,
            reported_at=reported_at,
        )
        if tx.session_started:  # a retry whose first answer got lost
            status = tx.auth_status
        else:
            answer = await self.tx.start_session(
                tx,
                id_tag=id_tag,
                connector=connector_id,
                meter_start=meter_start,
                started_at=tx.started_at or started_at,
                flags=("start_time_replaced",) if replaced else (),
            )
            status = answer.status
        return call_result.StartTransaction(
            transaction_id=int(tx.transaction_id), id_tag_info={"status": auth_status(status)}
        )

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **kwargs):
        readings = readings_v16(meter_value)
        tx = None
        transaction_id = kwargs.get("transaction_id")
        if transaction_id is not None:
            tid = str(transaction_id)
            tx = await self.tx.get(tid) or await self.tx.stand_in(tid)
        await self.tx.record_readings(readings, connector=connector_id, tx=tx)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        tid = str(transaction_id)
        stopped_at, replaced = await self.tx.believable(
            parse_timestamp(timestamp), what="stop", transaction_id=tid
        )
        id_tag, reason = kwargs.get("id_tag"), kwargs.get("reason")
        readings = readings_v16(kwargs.get("transaction_data"))
        tx = await self.tx.get(tid)
        if tx is None:
            # Accepted (the charger must be able to empty its queue) and flagged.
            await self.tx.record_readings(readings, connector=0, tx=await self.tx.stand_in(tid))
            await self.tx.anomaly(
                "stop_unknown_transaction",
                tid,
                {
                    "meter_stop_wh": meter_stop,
                    "timestamp": timestamp,
                    "reason": reason,
                    "id_tag": id_tag,
                },
            )
        elif not tx.stopped:  # a stopped one: a retry whose answer got lost
            await self.tx.record_readings(readings, connector=tx.connector, tx=tx)
            await self.tx.stop_session(
                tx,
                meter_stop=meter_stop,
                stopped_at=stopped_at,
                reason=reason,
                id_tag=id_tag,
                flags=("stop_time_replaced",) if replaced else (),
            )
        return call_result.StopTransaction(
            id_tag_info={"status": "Accepted"} if id_tag is not None else None
        )
