"""What the OCPP 1.6 and 2.0.1 charge points answer alike: the base class of
both (its version named once, in the class statement), Heartbeat, DataTransfer
and the BootNotification answer, an authorization status that the charger's
version knows, and an empty answer to the notifications the platform only
acknowledges (the library logs them)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from types import ModuleType

from ocpp.routing import on

from ocpp_ingest.charge_point import IngestChargePoint, now_iso
from ocpp_ingest.replies import AnswersMayFail


class VersionChargePoint(AnswersMayFail, IngestChargePoint):
    """Base of `ChargePoint16` and `ChargePoint201`, placed before the library's
    ChargePoint of the version, which the class statement names:

        class ChargePoint16(VersionChargePoint, ChargePoint, protocol="ocpp1.6",
                            actions=Action, call_result=call_result,
                            acknowledged=ACKNOWLEDGED):
    """

    call_result: ModuleType

    def __init_subclass__(
        cls,
        *,
        protocol: str,
        actions: type[Enum],
        call_result: ModuleType,
        acknowledged: tuple[str, ...] = (),
        **kwargs,
    ):
        super().__init_subclass__(**kwargs)
        cls.protocol = protocol
        cls.known_actions = frozenset(a.value for a in actions)
        cls.call_result = call_result
        acknowledge(cls, call_result, acknowledged)

    async def _boot_answer(self, **station):
        """BootNotification's answer after `_boot` stored what the charger said."""
        status, interval = await self._boot(**station)
        return self.call_result.BootNotification(
            current_time=now_iso(), interval=interval, status=status
        )

    @on("Heartbeat")
    def on_heartbeat(self, **kwargs):
        return self.call_result.Heartbeat(current_time=now_iso())

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id, **kwargs):
        status = await self._data_transfer(
            vendor_id=vendor_id, message_id=kwargs.get("message_id"), data=kwargs.get("data")
        )
        return self.call_result.DataTransfer(status=status)


def auth_status_filter(known: frozenset[str]) -> Callable[[str | None], str]:
    """The authorization status to send a charger whose OCPP version knows the
    statuses `known`: the answer when it knows it, else Invalid (an answer only
    the other version has must not reach this charger)."""

    def auth_status(status: str | None) -> str:
        return status if status in known else "Invalid"

    return auth_status


def acknowledge(cls: type, call_result: ModuleType, actions: tuple[str, ...]) -> None:
    """Give `cls` a handler per action that answers with the version's empty
    `call_result` of that action."""
    for action in actions:
        setattr(cls, f"on_ack_{action}", _acknowledger(call_result, action))


def _acknowledger(call_result: ModuleType, action: str):
    def handler(self, **kwargs):
        return getattr(call_result, action)()

    handler.__name__ = f"on_ack_{action}"
    return on(action)(handler)
