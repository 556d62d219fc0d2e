"""The OCPP side of remote actions (DOMAIN.md §9): the request each platform
action becomes in 1.6 and 2.0.1, and `send_to_live`, which finds this node's live
charge point object and sends it. The node's `send_ocpp_command` activity
(`activities.ocpp_commands`) is given `send_to_live`; its workflow is
`workflows.ocpp_command.OcppCommandWorkflow`."""

from __future__ import annotations

import asyncio
import logging

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from websockets.exceptions import ConnectionClosed

from workflows.ocpp_command_types import (
    ACCEPTED,
    FAILED,
    OFFLINE,
    REJECTED,
    TIMED_OUT,
    OcppCommand,
    OcppCommandResult,
)

log = logging.getLogger(__name__)

# Answers that mean the charger will do it (Scheduled: after the running transaction).
ACCEPTING = frozenset({"Accepted", "Scheduled", "Unlocked"})

OCPP_ACTIONS = {
    "1.6": {
        "request_status": "TriggerMessage",
        "activate": "ChangeAvailability",
        "deactivate": "ChangeAvailability",
        "reset": "Reset",
        "remote_stop": "RemoteStopTransaction",
        "unlock": "UnlockConnector",
    },
    "2.0.1": {
        "request_status": "TriggerMessage",
        "activate": "ChangeAvailability",
        "deactivate": "ChangeAvailability",
        "reset": "Reset",
        "remote_stop": "RequestStopTransaction",
        "unlock": "UnlockConnector",
    },
}


def protocol_version(subprotocol: str | None) -> str:
    return "2.0.1" if subprotocol == "ocpp2.0.1" else "1.6"


def build_call(version: str, cmd: OcppCommand):
    """The OCPP request for a platform action (DOMAIN.md §9 table)."""
    n = cmd.connector
    if cmd.action in ("remote_stop", "unlock") and n is None:
        raise ValueError(f"{cmd.action} needs a connector")
    if cmd.action == "remote_stop" and not cmd.transaction_id:
        raise ValueError("remote_stop needs the running transaction")
    if version == "1.6":
        if cmd.action == "request_status":
            return call16.TriggerMessage(requested_message="StatusNotification", connector_id=n)
        if cmd.action in ("activate", "deactivate"):
            kind = "Operative" if cmd.action == "activate" else "Inoperative"
            return call16.ChangeAvailability(connector_id=n or 0, type=kind)
        if cmd.action == "reset":
            return call16.Reset(type="Hard")
        if cmd.action == "remote_stop":
            return call16.RemoteStopTransaction(transaction_id=int(cmd.transaction_id))
        if cmd.action == "unlock":
            return call16.UnlockConnector(connector_id=n)
    else:
        if cmd.action == "request_status":
            evse = None if n is None else {"id": n, "connector_id": 1}
            return call201.TriggerMessage(requested_message="StatusNotification", evse=evse)
        if cmd.action in ("activate", "deactivate"):
            kind = "Operative" if cmd.action == "activate" else "Inoperative"
            return call201.ChangeAvailability(
                operational_status=kind, evse=None if n is None else {"id": n}
            )
        if cmd.action == "reset":
            return call201.Reset(type="Immediate")
        if cmd.action == "remote_stop":
            return call201.RequestStopTransaction(transaction_id=cmd.transaction_id)
        if cmd.action == "unlock":
            return call201.UnlockConnector(evse_id=n, connector_id=1)
    raise ValueError(f"unknown remote action {cmd.action!r}")


async def send_to_live(live: dict, cmd: OcppCommand) -> OcppCommandResult:
    """Send to the charger among this node's live connections (`IngestContext.live`)."""
    return await send(live.get(cmd.ocpp_id), cmd)


async def send(cp, cmd: OcppCommand) -> OcppCommandResult:
    if cp is None:
        return OcppCommandResult(OFFLINE, detail=f"{cmd.ocpp_id} is not connected to this node")
    version = cp._ocpp_version
    try:
        payload = build_call(version, cmd)
    except ValueError as exc:
        return OcppCommandResult(FAILED, detail=str(exc))
    ocpp_action = type(payload).__name__
    try:
        result = await asyncio.wait_for(cp.call(payload, suppress=False), cmd.timeout_s)
    except TimeoutError:
        return OcppCommandResult(
            TIMED_OUT, ocpp_action, detail=f"no answer within {cmd.timeout_s:g} s"
        )
    except OCPPError as exc:
        answer = {
            "errorCode": exc.code,
            "errorDescription": exc.description,
            "errorDetails": exc.details,
        }
        return OcppCommandResult(FAILED, ocpp_action, answer, detail=str(exc))
    except ConnectionClosed:
        return OcppCommandResult(OFFLINE, ocpp_action, detail="connection closed")
    answer = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
    status = ACCEPTED if answer.get("status") in ACCEPTING else REJECTED
    log.info("charger %s: %s %s -> %s", cmd.ocpp_id, cmd.action, ocpp_action, answer)
    return OcppCommandResult(status, ocpp_action, answer)
