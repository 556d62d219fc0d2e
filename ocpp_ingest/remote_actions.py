"""Remote actions for the API (DOMAIN.md §9): each is recorded in
`remote_commands` with who asked and when, routed to the ingest node that holds
the charger's socket (its own Temporal task queue `ocpp-node-<node id>`), and
finished with the outcome: accepted, rejected, timed_out, offline or failed.

Several nodes: the command goes to the socket owning the charger's row now
(`db.ocpp_nodes.current_owner`); if the charger moves or its node dies meanwhile,
the answer is `offline` at once, not when the dead node's queue times out.

    actions = RemoteActions(temporal_client, session_factory, gateway=session_gateway)
    outcome = await actions.remote_stop(cp_id, 1, requested_by="ops@example.com")

An accepted remote stop is also signalled to the session workflow
(`gateway.request_stop`), which then closes the session itself if the charger's
stop never comes. Scoping (who may act on which charging point) is the caller's
job."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial, partialmethod

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import TimeoutError as TemporalTimeout
from temporalio.service import RPCError

from db import ocpp_nodes, ocpp_transactions
from db.base import utcnow
from db.models import ChargingPoint, RemoteCommand
from db.off_loop import run_off_loop
from ocpp_ingest.commands import OCPP_ACTIONS, protocol_version
from ocpp_ingest.options import node_task_queue
from ocpp_ingest.routing import current_owner, result_unless_moved
from workflows.ocpp_command import OcppCommandWorkflow
from workflows.ocpp_command_types import (
    ACCEPTED,
    CHARGING_POINT_ACTIONS,
    CONNECTOR_ACTIONS,
    FAILED,
    OFFLINE,
    PENDING,
    TIMED_OUT,
    OcppCommand,
    OcppCommandResult,
)
from workflows.session_types import StopRequest

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class CommandOutcome:
    command_id: int
    status: str
    ocpp_action: str | None = None
    answer: dict | None = None


@dataclass(frozen=True)
class _Prepared:
    command_id: int
    status: str
    command: OcppCommand | None = None
    owner: ocpp_nodes.Owner | None = None
    cp_id: int | None = None

    @property
    def node(self) -> str | None:
        return self.owner.node if self.owner else None


class RemoteActions:
    def __init__(
        self,
        client,
        session_factory: sessionmaker[Session],
        *,
        timeout_s: float = 10.0,
        gateway=None,
    ):
        self.client = client
        self.session_factory = session_factory
        self.timeout_s = timeout_s
        self.gateway = gateway

    async def run(
        self,
        action: str,
        charging_point_id: int,
        connector: int | None = None,
        *,
        requested_by: str,
    ) -> CommandOutcome:
        allowed = CONNECTOR_ACTIONS if connector is not None else CHARGING_POINT_ACTIONS
        if action not in allowed:
            level = "a connector" if connector is not None else "a charging point"
            raise ValueError(f"{action} is not a remote action on {level}")
        prepared = await self._db(
            partial(
                _prepare,
                action=action,
                cp_id=charging_point_id,
                connector=connector,
                requested_by=requested_by,
                timeout_s=self.timeout_s,
            )
        )
        if prepared.status != PENDING:
            return await self._db(partial(_load_outcome, command_id=prepared.command_id))
        result = await self._execute(prepared)
        if action == "remote_stop" and result.status == ACCEPTED:
            await self._tell_session(prepared.command, requested_by)
        return await self._db(partial(_finish, command_id=prepared.command_id, result=result))

    # Each action by name, e.g. `await actions.reset(cp_id, requested_by=...)`:
    # `run` with the action filled in (connector=None: the charging point).
    request_status = partialmethod(run, "request_status")
    activate = partialmethod(run, "activate")
    deactivate = partialmethod(run, "deactivate")
    reset = partialmethod(run, "reset")
    remote_stop = partialmethod(run, "remote_stop")
    unlock = partialmethod(run, "unlock")

    async def _tell_session(self, cmd: OcppCommand, requested_by: str) -> None:
        request_stop = getattr(self.gateway, "request_stop", None)
        if request_stop is None:
            return
        try:
            await request_stop(
                cmd.ocpp_id,
                cmd.transaction_id,
                StopRequest(requested_by=requested_by, reason="Remote"),
            )
        except LookupError:
            log.info("remote stop of %s: no running session workflow", cmd.transaction_id)
        except Exception:  # noqa: BLE001 - the charger was told; its stop follows
            log.warning("remote stop of %s: request_stop failed", cmd.transaction_id, exc_info=True)

    async def _execute(self, prepared: _Prepared) -> OcppCommandResult:
        cmd = prepared.command
        workflow_id = f"ocpp-command:{cmd.ocpp_id}:{prepared.command_id}:{uuid.uuid4().hex[:8]}"
        await self._db(
            partial(_set_workflow, command_id=prepared.command_id, workflow_id=workflow_id)
        )
        try:
            return await self._run_on_owner(prepared, workflow_id)
        except WorkflowFailureError as exc:
            if isinstance(exc.cause, TemporalTimeout):
                return OcppCommandResult(TIMED_OUT, detail=f"node {prepared.node} did not answer")
            return OcppCommandResult(FAILED, detail=str(exc.cause or exc))
        except RPCError as exc:
            log.warning("remote command %s: Temporal unavailable: %s", prepared.command_id, exc)
            return OcppCommandResult(FAILED, detail=f"Temporal unavailable: {exc}")

    async def _run_on_owner(self, prepared: _Prepared, workflow_id: str) -> OcppCommandResult:
        """The command's workflow on the owner node's queue, unless the charger
        leaves that node (socket) first: then `offline`."""
        cmd = prepared.command
        handle = await self.client.start_workflow(
            OcppCommandWorkflow.run,
            cmd,
            id=workflow_id,
            task_queue=node_task_queue(prepared.node),
            # A dead node never picks the command up: give up after this.
            execution_timeout=timedelta(seconds=cmd.timeout_s + 3),
        )
        moved = await result_unless_moved(
            handle, partial(self._db, partial(current_owner, cp_id=prepared.cp_id)), prepared.owner
        )
        if moved is None:
            return OcppCommandResult(
                OFFLINE, detail=f"{cmd.ocpp_id} is no longer connected to node {prepared.node}"
            )
        return moved.result

    async def _db(self, fn):
        return await run_off_loop(self.session_factory, fn, commit=True)


def _prepare(
    session: Session,
    *,
    action: str,
    cp_id: int,
    connector: int | None,
    requested_by: str,
    timeout_s: float,
) -> _Prepared:
    cp = session.get(ChargingPoint, cp_id)
    if cp is None:
        raise LookupError(f"charging point {cp_id} not found")
    version = protocol_version(cp.ocpp_protocol)
    owner = current_owner(session, cp_id=cp_id)
    node = owner.node if owner else None
    command = RemoteCommand(
        charging_point_id=cp_id,
        connector=connector,
        action=action,
        ocpp_action=OCPP_ACTIONS[version][action],
        requested_by=requested_by,
        node=node,
        status=PENDING,
    )
    session.add(command)
    transaction_id = None
    if node is None:
        command.status, command.finished_at = OFFLINE, utcnow()
        command.answer = {"reason": f"charging point {cp.ocpp_id} is not connected"}
    elif action == "remote_stop":
        tx = ocpp_transactions.active_transaction(session, cp_id=cp_id, connector=connector)
        if tx is None:
            command.status, command.finished_at = FAILED, utcnow()
            command.answer = {"reason": f"no running transaction on connector {connector}"}
        else:
            transaction_id = tx.transaction_id
    session.flush()
    cmd = OcppCommand(
        ocpp_id=cp.ocpp_id,
        action=action,
        connector=connector,
        transaction_id=transaction_id,
        timeout_s=timeout_s,
    )
    return _Prepared(command.id, command.status, cmd, owner, cp_id)


def _set_workflow(session: Session, *, command_id: int, workflow_id: str) -> None:
    session.get(RemoteCommand, command_id).workflow_id = workflow_id


def _finish(session: Session, *, command_id: int, result: OcppCommandResult) -> CommandOutcome:
    command = session.get(RemoteCommand, command_id)
    command.status = result.status
    command.answer = (
        result.answer
        if result.answer is not None
        else ({"reason": result.detail} if result.detail else None)
    )
    if result.ocpp_action:
        command.ocpp_action = result.ocpp_action
    command.finished_at = utcnow()
    return _outcome(command)


def _load_outcome(session: Session, *, command_id: int) -> CommandOutcome:
    return _outcome(session.get(RemoteCommand, command_id))


def _outcome(command: RemoteCommand) -> CommandOutcome:
    return CommandOutcome(command.id, command.status, command.ocpp_action, command.answer)
