"""OCPP 2.0.1, CSMS side. The charger's transactionId string is the transaction
id; one TransactionEvent stream (Started / Updated / Ended) carries what 1.6
splits over StartTransaction, MeterValues and StopTransaction."""

from __future__ import annotations

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from ocpp_ingest.answers import VersionChargePoint, auth_status_filter
from ocpp_ingest.errors import parse_timestamp
from ocpp_ingest.meters import readings_v201
from ocpp_ingest.transactions import require_connector

AUTH_STATUSES = frozenset(
    {
        "Accepted",
        "Blocked",
        "ConcurrentTx",
        "Expired",
        "Invalid",
        "NoCredit",
        "NotAllowedTypeEVSE",
        "NotAtThisLocation",
        "NotAtThisTime",
        "Unknown",
    }
)
auth_status = auth_status_filter(AUTH_STATUSES)

# Notifications we acknowledge with an empty answer (logged by the library).
ACKNOWLEDGED = (
    "FirmwareStatusNotification",
    "LogStatusNotification",
    "NotifyEvent",
    "NotifyReport",
    "SecurityEventNotification",
    "NotifyMonitoringReport",
    "NotifyChargingLimit",
    "ClearedChargingLimit",
    "ReservationStatusUpdate",
    "NotifyCustomerInformation",
    "NotifyDisplayMessages",
    "PublishFirmwareStatusNotification",
    "ReportChargingProfiles",
)


class ChargePoint201(
    VersionChargePoint,
    ChargePoint,
    protocol="ocpp2.0.1",
    actions=Action,
    call_result=call_result,
    acknowledged=ACKNOWLEDGED,
):
    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station, reason, **kwargs):
        return await self._boot_answer(
            vendor=charging_station.get("vendor_name"),
            model=charging_station.get("model"),
            firmware_version=charging_station.get("firmware_version"),
            serial_number=charging_station.get("serial_number"),
        )

    @on(Action.status_notification)
    async def on_status_notification(
        self, timestamp, connector_status, evse_id, connector_id, **kwargs
    ):
        # One connector per EVSE: the EVSE id is our connector number (db.models.tree).
        require_connector(evse_id)
        reported_at, _ = await self.tx.believable(
            parse_timestamp(timestamp), what="status", past=False
        )
        await self._status(connector=evse_id, status=connector_status, reported_at=reported_at)
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token, **kwargs):
        answer = await self.ctx.gateway.authorize(self.id, id_token["id_token"])
        return call_result.Authorize(id_token_info={"status": auth_status(answer.status)})

    @on(Action.meter_values)
    async def on_meter_values(self, evse_id, meter_value, **kwargs):
        await self.tx.record_readings(readings_v201(meter_value), connector=evse_id, tx=None)
        return call_result.MeterValues()

    @on(Action.transaction_event)
    async def on_transaction_event(self, event_type, timestamp, transaction_info, **kwargs):
        tid = transaction_info["transaction_id"]
        ts, replaced = await self.tx.believable(
            parse_timestamp(timestamp), what=f"transaction {event_type}", transaction_id=tid
        )
        evse = kwargs.get("evse") or {}
        token = (kwargs.get("id_token") or {}).get("id_token")
        tx, created, reused = await self.tx.ensure_v201(
            tid, connector=evse.get("id"), started_at=ts if event_type == "Started" else None
        )
        # Ended first (an offline queue replayed out of order, or a lost Started):
        # the Ended event carries what the session needs, so it is started from it
        # and billed, flagged for review.
        unknown_end = created and event_type == "Ended"
        flags = tuple(
            flag
            for flag, present in (
                ("start_time_replaced", replaced and event_type != "Ended"),
                ("transaction_id_reused", reused),
                ("ended_before_started", unknown_end),
            )
            if present
        )

        readings = readings_v201(kwargs.get("meter_value"))
        energy = sorted(
            (r for r in readings if r.energy_wh is not None), key=lambda r: r.measured_at
        )
        if tx.meter_start_wh is None and energy and not tx.session_started:
            tx.meter_start_wh = energy[0].energy_wh
        if not tx.stopped:  # after Ended: a retry whose answer got lost
            await self.tx.record_readings(readings, connector=tx.connector, tx=tx)

        status = None
        if token is not None:
            if not tx.session_started and not tx.stopped:
                started_at = tx.started_at or ts
                if unknown_end and energy:
                    # The first reading (Transaction.Begin) dates the start; a
                    # reading with an impossible date does not.
                    begin, begin_replaced = await self.tx.believable(
                        energy[0].measured_at, what="start", transaction_id=tid
                    )
                    started_at = ts if begin_replaced else min(begin, ts)
                    if begin_replaced:
                        flags += ("start_time_replaced",)
                answer = await self.tx.start_session(
                    tx,
                    id_tag=token,
                    connector=tx.connector,
                    meter_start=tx.meter_start_wh or 0,
                    started_at=started_at,
                    flags=flags,
                )
                status = answer.status
            elif token == tx.id_tag and tx.auth_status:
                status = tx.auth_status
            else:
                status = (await self.ctx.gateway.authorize(self.id, token)).status

        if event_type == "Ended":
            if unknown_end and not tx.session_started:  # no token: nobody to bill
                await self.tx.anomaly(
                    "stop_unknown_transaction",
                    tid,
                    {
                        "timestamp": timestamp,
                        "id_token": token,
                        "stopped_reason": transaction_info.get("stopped_reason"),
                    },
                )
            meter_stop = (
                energy[-1].energy_wh
                if energy
                else tx.last_energy_wh
                if tx.last_energy_wh is not None
                else tx.meter_start_wh or 0
            )
            await self.tx.stop_session(
                tx,
                meter_stop=meter_stop,
                stopped_at=ts,
                reason=transaction_info.get("stopped_reason"),
                id_tag=token,
                flags=("stop_time_replaced",) if replaced else (),
            )
        return call_result.TransactionEvent(
            id_token_info={"status": auth_status(status)} if token is not None else None
        )
