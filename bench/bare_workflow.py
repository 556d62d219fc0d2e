"""The baseline of bench/session_throughput.py: a workflow of three no-op
activities. Its own small module because the workflow sandbox re-imports the
module that defines a workflow (a heavy `__main__` would be measured instead)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
def noop(step: str) -> str:
    return step


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        for step in ("a", "b", "c"):
            await workflow.execute_activity(
                noop, step, start_to_close_timeout=timedelta(seconds=10)
            )
        return name
