"""`DocumentDeliveryWorkflow`: one explicit resend of a document (id
`delivery:<number>/<n>`), through the same delivery activity and retries as
the settlement's deliver step."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.settlement_messages import DeliverInput, DeliveryOutcome


@workflow.defn(name="DocumentDelivery")
class DocumentDeliveryWorkflow:
    @workflow.run
    async def run(self, key: str) -> DeliveryOutcome:
        return await workflow.execute_activity(
            "deliver_document", DeliverInput(key), result_type=DeliveryOutcome,
            start_to_close_timeout=timedelta(minutes=2),
            schedule_to_close_timeout=timedelta(hours=1),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5),
                                     maximum_interval=timedelta(minutes=5)),
        )
