"""What the OCPP 1.6 and 2.0.1 charge points answer alike: an authorization
status that the charger's version knows, and an empty answer to the
notifications the platform only acknowledges (the library logs them)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from ocpp.routing import on


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
