"""Charge-point side of the simulator, per protocol version: the messages a
simulated charger sends (`Dialect16`, `Dialect201`) and how it answers the
CSMS's remote actions (`SimCP16`, `SimCP201`, built on the `ocpp` library's
own ChargePoint classes). Anything that must follow the answer (stop a
session, send a status, reboot) runs in `@after`, as the library intends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as LibCP16
from ocpp.v16 import call as c16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as LibCP201
from ocpp.v201 import call as c201
from ocpp.v201 import call_result as r201


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


V201_STATUS = {
    "Preparing": "Occupied",
    "Charging": "Occupied",
    "SuspendedEV": "Occupied",
    "SuspendedEVSE": "Occupied",
    "Finishing": "Occupied",
}


class Dialect16:
    version, subprotocol = "1.6", "ocpp1.6"

    def boot(self, sim):
        return c16.BootNotification(
            charge_point_vendor=sim.vendor,
            charge_point_model=sim.model,
            charge_point_serial_number=sim.serial,
            firmware_version=sim.firmware,
        )

    def heartbeat(self):
        return c16.Heartbeat()

    def status(self, connector: int, status: str):
        return c16.StatusNotification(
            connector_id=connector, error_code="NoError", status=status, timestamp=now_iso()
        )

    def authorize(self, id_tag: str):
        return c16.Authorize(id_tag=id_tag)

    @staticmethod
    def auth_status(result) -> str:
        return result.id_tag_info["status"]

    def start(self, session):
        return c16.StartTransaction(
            connector_id=session.connector,
            id_tag=session.id_tag,
            meter_start=session.meter_start,
            timestamp=session.started,
        )

    def started(self, session, result) -> None:
        session.transaction_id = result.transaction_id
        session.status = result.id_tag_info["status"]

    @staticmethod
    def _sample(energy_wh: int, power_w: int | None, context: str) -> dict:
        values = [
            {
                "value": str(energy_wh),
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
                "context": context,
            }
        ]
        if power_w is not None:
            values.append(
                {
                    "value": str(power_w),
                    "measurand": "Power.Active.Import",
                    "unit": "W",
                    "context": context,
                }
            )
        return {"timestamp": now_iso(), "sampled_value": values}

    def meter(self, session, energy_wh: int, power_w: int):
        return c16.MeterValues(
            connector_id=session.connector,
            transaction_id=session.transaction_id,
            meter_value=[self._sample(energy_wh, power_w, "Sample.Periodic")],
        )

    def stop(self, session, energy_wh: int, reason: str):
        return c16.StopTransaction(
            meter_stop=energy_wh,
            timestamp=now_iso(),
            transaction_id=session.transaction_id,
            reason=reason,
            id_tag=session.id_tag,
            transaction_data=[self._sample(energy_wh, None, "Transaction.End")],
        )

    def data_transfer(self, vendor_id: str, data: str):
        return c16.DataTransfer(vendor_id=vendor_id, data=data)


class Dialect201:
    version, subprotocol = "2.0.1", "ocpp2.0.1"

    def boot(self, sim):
        return c201.BootNotification(
            charging_station={
                "model": sim.model,
                "vendor_name": sim.vendor,
                "serial_number": sim.serial,
                "firmware_version": sim.firmware,
            },
            reason="PowerUp",
        )

    def heartbeat(self):
        return c201.Heartbeat()

    def status(self, connector: int, status: str):
        return c201.StatusNotification(
            timestamp=now_iso(),
            connector_status=V201_STATUS.get(status, status),
            evse_id=connector,
            connector_id=1,
        )

    def authorize(self, id_tag: str):
        return c201.Authorize(id_token={"id_token": id_tag, "type": "ISO14443"})

    @staticmethod
    def auth_status(result) -> str:
        return result.id_token_info["status"]

    @staticmethod
    def _sample(energy_wh: int, power_w: int | None, context: str) -> dict:
        values = [
            {
                "value": energy_wh,
                "measurand": "Energy.Active.Import.Register",
                "context": context,
                "unit_of_measure": {"unit": "Wh"},
            }
        ]
        if power_w is not None:
            values.append(
                {
                    "value": power_w,
                    "measurand": "Power.Active.Import",
                    "context": context,
                    "unit_of_measure": {"unit": "W"},
                }
            )
        return {"timestamp": now_iso(), "sampled_value": values}

    def _event(
        self, session, event_type: str, trigger: str, energy_wh: int, power_w, context, **extra
    ):
        session.seq_no += 1
        info = {"transaction_id": session.transaction_id, **extra.pop("info", {})}
        return c201.TransactionEvent(
            event_type=event_type,
            timestamp=now_iso(),
            trigger_reason=trigger,
            seq_no=session.seq_no,
            transaction_info=info,
            meter_value=[self._sample(energy_wh, power_w, context)],
            **extra,
        )

    def start(self, session):
        session.transaction_id = str(uuid.uuid4())
        session.seq_no = -1
        return self._event(
            session,
            "Started",
            "Authorized",
            session.meter_start,
            None,
            "Transaction.Begin",
            evse={"id": session.connector, "connector_id": 1},
            id_token={"id_token": session.id_tag, "type": "ISO14443"},
            info={"charging_state": "Charging"},
        )

    def started(self, session, result) -> None:
        session.status = result.id_token_info["status"]

    def meter(self, session, energy_wh: int, power_w: int):
        return self._event(
            session, "Updated", "MeterValuePeriodic", energy_wh, power_w, "Sample.Periodic"
        )

    STOP_REASONS = {
        "Local": "Local",
        "Remote": "Remote",
        "HardReset": "ImmediateReset",
        "DeAuthorized": "DeAuthorized",
        "UnlockCommand": "Other",
        "EVDisconnected": "EVDisconnected",
    }

    def stop(self, session, energy_wh: int, reason: str):
        trigger = {
            "Remote": "RemoteStop",
            "HardReset": "ResetCommand",
            "DeAuthorized": "Deauthorized",
        }.get(reason, "StopAuthorized")
        return self._event(
            session,
            "Ended",
            trigger,
            energy_wh,
            None,
            "Transaction.End",
            info={"stopped_reason": self.STOP_REASONS.get(reason, "Other")},
        )

    def data_transfer(self, vendor_id: str, data: str):
        return c201.DataTransfer(vendor_id=vendor_id, data=data)


class SimCP16(LibCP16):
    """Answers the CSMS's remote actions like a reasonable 1.6 charger."""

    def __init__(self, ocpp_id, connection, *, sim, response_timeout):
        super().__init__(ocpp_id, connection, response_timeout=response_timeout)
        self.sim = sim

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id, **kwargs):
        self.sim.received("RemoteStopTransaction", transaction_id=transaction_id)
        found = self.sim.session_by_transaction(transaction_id) is not None
        return r16.RemoteStopTransaction(status="Accepted" if found else "Rejected")

    @after("RemoteStopTransaction")
    async def after_remote_stop(self, transaction_id, **kwargs):
        await self.sim.end_transaction(transaction_id, "Remote")

    @on("TriggerMessage")
    def on_trigger(self, requested_message, connector_id=None, **kwargs):
        self.sim.received(
            "TriggerMessage", requested_message=requested_message, connector_id=connector_id
        )
        ok = requested_message in ("StatusNotification", "Heartbeat", "BootNotification")
        return r16.TriggerMessage(status="Accepted" if ok else "NotImplemented")

    @after("TriggerMessage")
    async def after_trigger(self, requested_message, connector_id=None, **kwargs):
        await self.sim.triggered(requested_message, connector_id)

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id, type, **kwargs):
        self.sim.received("ChangeAvailability", connector_id=connector_id, type=type)
        return r16.ChangeAvailability(
            status=self.sim.availability_answer(connector_id or None, type == "Operative")
        )

    @after("ChangeAvailability")
    async def after_change_availability(self, connector_id, type, **kwargs):
        await self.sim.set_available(connector_id or None, type == "Operative")

    @on("Reset")
    def on_reset(self, type, **kwargs):
        self.sim.received("Reset", type=type)
        return r16.Reset(status="Accepted")

    @after("Reset")
    async def after_reset(self, type, **kwargs):
        await self.sim.reboot("HardReset" if type == "Hard" else "SoftReset")

    @on("UnlockConnector")
    def on_unlock(self, connector_id, **kwargs):
        self.sim.received("UnlockConnector", connector_id=connector_id)
        return r16.UnlockConnector(status="Unlocked")

    @after("UnlockConnector")
    async def after_unlock(self, connector_id, **kwargs):
        # OCPP 1.6: a transaction on the connector is stopped first (UnlockCommand).
        await self.sim.end_connector(connector_id, "UnlockCommand")


class SimCP201(LibCP201):
    """Answers the CSMS's remote actions like a reasonable 2.0.1 charging station."""

    def __init__(self, ocpp_id, connection, *, sim, response_timeout):
        super().__init__(ocpp_id, connection, response_timeout=response_timeout)
        self.sim = sim

    @on("RequestStopTransaction")
    def on_request_stop(self, transaction_id, **kwargs):
        self.sim.received("RequestStopTransaction", transaction_id=transaction_id)
        found = self.sim.session_by_transaction(transaction_id) is not None
        return r201.RequestStopTransaction(status="Accepted" if found else "Rejected")

    @after("RequestStopTransaction")
    async def after_request_stop(self, transaction_id, **kwargs):
        await self.sim.end_transaction(transaction_id, "Remote")

    @on("TriggerMessage")
    def on_trigger(self, requested_message, evse=None, **kwargs):
        self.sim.received("TriggerMessage", requested_message=requested_message, evse=evse)
        ok = requested_message in ("StatusNotification", "Heartbeat", "BootNotification")
        return r201.TriggerMessage(status="Accepted" if ok else "NotImplemented")

    @after("TriggerMessage")
    async def after_trigger(self, requested_message, evse=None, **kwargs):
        await self.sim.triggered(requested_message, (evse or {}).get("id"))

    @on("ChangeAvailability")
    def on_change_availability(self, operational_status, evse=None, **kwargs):
        self.sim.received("ChangeAvailability", operational_status=operational_status, evse=evse)
        n = (evse or {}).get("id")
        return r201.ChangeAvailability(
            status=self.sim.availability_answer(n, operational_status == "Operative")
        )

    @after("ChangeAvailability")
    async def after_change_availability(self, operational_status, evse=None, **kwargs):
        await self.sim.set_available((evse or {}).get("id"), operational_status == "Operative")

    @on("Reset")
    def on_reset(self, type, **kwargs):
        self.sim.received("Reset", type=type)
        return r201.Reset(status="Accepted")

    @after("Reset")
    async def after_reset(self, type, **kwargs):
        await self.sim.reboot("HardReset")

    @on("UnlockConnector")
    def on_unlock(self, evse_id, connector_id, **kwargs):
        self.sim.received("UnlockConnector", evse_id=evse_id, connector_id=connector_id)
        # OCPP 2.0.1 F05: never unlock under an authorized transaction.
        busy = self.sim.sessions.get(evse_id) is not None
        return r201.UnlockConnector(status="OngoingAuthorizedTransaction" if busy else "Unlocked")


DIALECTS = {"1.6": (Dialect16(), SimCP16), "2.0.1": (Dialect201(), SimCP201)}
