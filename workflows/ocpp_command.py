"""`OcppCommandWorkflow`: one remote command as a tiny workflow on the node's own
task queue, so the API can route it to the node holding the socket with any
Temporal server: the workflow and its single `send_ocpp_command` activity both
run on `ocpp-node-<node id>`. Never retried: a reset must not be sent twice."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.exceptions import TimeoutError as TemporalTimeout

with workflow.unsafe.imports_passed_through():
    # From the defining module (the sandbox resolves type hints there).
    from activities.ocpp_command_messages import FAILED, TIMED_OUT, OcppCommand, OcppCommandResult
    from activities.ocpp_commands import NodeCommands


@workflow.defn(name="OcppCommandWorkflow")
class OcppCommandWorkflow:
    @workflow.run
    async def run(self, cmd: OcppCommand) -> OcppCommandResult:
        try:
            return await workflow.execute_activity_method(
                NodeCommands.send_ocpp_command,
                cmd,
                task_queue=workflow.info().task_queue,
                schedule_to_close_timeout=timedelta(seconds=cmd.timeout_s + 1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            if isinstance(err.cause, TemporalTimeout):
                return OcppCommandResult(TIMED_OUT, detail="the ingest node did not answer")
            return OcppCommandResult(FAILED, detail=str(err.cause or err))
