"""How a simulated charger answers the CSMS's remote actions, per protocol
version (`SimCP16`, `SimCP201`, built on the `ocpp` library's own ChargePoint
classes). Anything that must follow the answer (stop a session, send a status,
reboot) runs in `@after`, as the library intends."""

from __future__ import annotations

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as LibCP16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as LibCP201
from ocpp.v201 import call_result as r201

# What a simulated charger sends when the CSMS asks for it (TriggerMessage).
TRIGGERABLE = ("StatusNotification", "Heartbeat", "BootNotification")


class SimAnswers:
    """What the simulated chargers of both versions share: the simulator they
    report to, whether a remote stop names a transaction running here, and
    whether a TriggerMessage asks for something this charger sends."""

    def __init__(self, ocpp_id, connection, *, sim, response_timeout):
        super().__init__(ocpp_id, connection, response_timeout=response_timeout)
        self.sim = sim

    def stop_status(self, action: str, transaction_id) -> str:
        self.sim.received(action, transaction_id=transaction_id)
        found = self.sim.session_by_transaction(transaction_id) is not None
        return "Accepted" if found else "Rejected"

    def trigger_status(self, requested_message: str, **where) -> str:
        self.sim.received("TriggerMessage", requested_message=requested_message, **where)
        return "Accepted" if requested_message in TRIGGERABLE else "NotImplemented"


class SimCP16(SimAnswers, LibCP16):
    """Answers the CSMS's remote actions like a reasonable 1.6 charger."""

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id, **kwargs):
        return r16.RemoteStopTransaction(
            status=self.stop_status("RemoteStopTransaction", transaction_id)
        )

    @after("RemoteStopTransaction")
    async def after_remote_stop(self, transaction_id, **kwargs):
        await self.sim.end_transaction(transaction_id, "Remote")

    @on("TriggerMessage")
    def on_trigger(self, requested_message, connector_id=None, **kwargs):
        return r16.TriggerMessage(
            status=self.trigger_status(requested_message, connector_id=connector_id)
        )

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


class SimCP201(SimAnswers, LibCP201):
    """Answers the CSMS's remote actions like a reasonable 2.0.1 charging station."""

    @on("RequestStopTransaction")
    def on_request_stop(self, transaction_id, **kwargs):
        return r201.RequestStopTransaction(
            status=self.stop_status("RequestStopTransaction", transaction_id)
        )

    @after("RequestStopTransaction")
    async def after_request_stop(self, transaction_id, **kwargs):
        await self.sim.end_transaction(transaction_id, "Remote")

    @on("TriggerMessage")
    def on_trigger(self, requested_message, evse=None, **kwargs):
        return r201.TriggerMessage(status=self.trigger_status(requested_message, evse=evse))

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
