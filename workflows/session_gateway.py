"""The public entry point the OCPP ingest calls for transactions.

`start` answers the charger from the durable session workflow with
update-with-start: a retried StartTransaction reaches the same workflow (its id
is derived from charger and transaction) and gets the same answer, even after
the workflow has finished. `stop`, `meter_summary` and `request_stop` are
signals. `authorize` answers an OCPP Authorize from the access-mode rules
without starting a session (through `activities.authorization`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.authorization import AuthorizationService
from activities.session_ids import SessionIds
from domain.errors import NotFound
from workflows.charging_session import ChargingSessionWorkflow
from workflows.session_types import (
    AuthorizeAnswer,
    LiveState,
    MeterSummary,
    SessionConfig,
    SessionInput,
    SessionResult,
    SessionStart,
    SessionStop,
    StartAnswer,
    StopRequest,
    session_workflow_id,
)

log = logging.getLogger(__name__)


class UnknownSession(NotFound, LookupError):
    """A stop or summary for a transaction no session workflow knows."""

    code = "session.unknown"


@dataclass
class SessionGateway:
    client: Client
    session_factory: sessionmaker[Session]
    task_queue: str = "energycloud"
    config: SessionConfig = field(default_factory=SessionConfig)
    authorization: AuthorizationService | None = None
    installation: str | None = None  # this database's (db.installation), read once

    def __post_init__(self) -> None:
        if self.authorization is None:
            self.authorization = AuthorizationService(self.session_factory)
        self._ids = SessionIds(self.session_factory)

    async def workflow_id(self, ocpp_id: str, transaction_id: str) -> str:
        if self.installation is None:
            self.installation = await self._ids.installation()
        return session_workflow_id(ocpp_id, transaction_id, self.installation)

    async def start(self, start: SessionStart) -> StartAnswer:
        workflow_id = start.workflow_id or await self.workflow_id(
            start.ocpp_id, start.transaction_id
        )
        start = replace(start, workflow_id=workflow_id)
        operation = WithStartWorkflowOperation(
            ChargingSessionWorkflow.run,
            SessionInput(start=start, config=self.config),
            id=workflow_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A finished session must never be started again by a late retry.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        try:
            return await self.client.execute_update_with_start_workflow(
                ChargingSessionWorkflow.start_answer, start_workflow_operation=operation
            )
        except WorkflowAlreadyStartedError:
            # The workflow already finished (a retry after the session ended):
            # answer from its result.
            log.info("start for finished session %s: answering from its result", workflow_id)
            result: SessionResult = await self.client.get_workflow_handle(
                workflow_id, result_type=SessionResult
            ).result()
            return StartAnswer(
                workflow_id=workflow_id, accepted=result.accepted, status=result.status,
                category=result.category,
            )

    async def stop(self, stop: SessionStop) -> None:
        workflow_id = stop.workflow_id or await self.workflow_id(
            stop.ocpp_id, stop.transaction_id
        )
        await self._signal(workflow_id, "stop", stop)

    async def meter_summary(self, summary: MeterSummary) -> None:
        workflow_id = summary.workflow_id or await self.workflow_id(
            summary.ocpp_id, summary.transaction_id
        )
        await self._signal(workflow_id, "meter_summary", summary)

    async def request_stop(self, ocpp_id: str, transaction_id: str, request: StopRequest) -> None:
        # The transaction row knows its workflow (a charger may reuse a 2.0.1 id).
        workflow_id = await self._ids.recorded(ocpp_id, transaction_id) or await (
            self.workflow_id(ocpp_id, transaction_id)
        )
        await self._signal(workflow_id, "request_stop", request)

    async def _signal(self, workflow_id: str, name: str, arg) -> None:
        try:
            await self.client.get_workflow_handle(workflow_id).signal(name, arg)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                # Unknown, or already finished: a duplicate stop changes nothing.
                raise UnknownSession(f"no running session {workflow_id}") from exc
            raise

    async def result(self, ocpp_id: str, transaction_id: str) -> SessionResult:
        handle = self.client.get_workflow_handle(
            await self.workflow_id(ocpp_id, transaction_id), result_type=SessionResult
        )
        return await handle.result()

    async def live_state(self, ocpp_id: str, transaction_id: str) -> LiveState:
        handle = self.client.get_workflow_handle(await self.workflow_id(ocpp_id, transaction_id))
        return await handle.query(ChargingSessionWorkflow.live_state)

    async def authorize(self, ocpp_id: str, id_tag: str) -> AuthorizeAnswer:
        # The database work is the AuthorizationService's (activities/); the
        # gateway stays the one object the ingest talks to for sessions.
        return await self.authorization.authorize(ocpp_id, id_tag)
