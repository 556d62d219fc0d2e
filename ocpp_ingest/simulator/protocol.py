"""Charge-point side of the simulator, per protocol version: the messages a
simulated charger sends (`Dialect16`, `Dialect201`), paired in `DIALECTS` with
how it answers the CSMS's remote actions (simulator/answers.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

from ocpp_ingest.simulator.answers import SimCP16, SimCP201


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


DIALECTS = {"1.6": (Dialect16(), SimCP16), "2.0.1": (Dialect201(), SimCP201)}
