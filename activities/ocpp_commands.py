"""The `send_ocpp_command` activity: run by each ingest node's own Temporal worker
(task queue `ocpp-node-<node id>`), it hands the command to the charger whose
socket this node holds (DOMAIN.md §9).

The activity knows no OCPP: the node gives it `send`, which finds the live
connection and speaks the protocol (`ocpp_ingest.commands.send_to_live`), so
this layer stays below the ingest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import activity

from activities.ocpp_command_messages import OcppCommand, OcppCommandResult

SendCommand = Callable[[OcppCommand], Awaitable[OcppCommandResult]]


class NodeCommands:
    """Activities bound to one node's live connections."""

    def __init__(self, send: SendCommand):
        self._send = send

    @activity.defn(name="send_ocpp_command")
    async def send_ocpp_command(self, cmd: OcppCommand) -> OcppCommandResult:
        return await self._send(cmd)
