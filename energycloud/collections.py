"""Starting the collection workflows of a period (`energycloud collect`) and
telling them what a bank statement said (after `energycloud bank-import`).

A direct debit's attempts share one end-to-end id; the workflow knows them as
`<number>/<attempt>` (activities.payment_messages.sepa_attempt_id): a returned
debit is the failure of attempt `failures`, a collected one the success of
attempt `failures + 1`.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.payment_messages import (
    CollectionInput,
    DunningConfig,
    PaymentUpdate,
    collection_workflow_id,
    sepa_attempt_id,
)
from db.bank_statements import ImportResult
from db.base import transaction
from db.models.payments import InvoiceCollection
from db.payments import flows_to_collect
from domain.payments import PaymentMethod
from workflows.invoice_collection import InvoiceCollectionWorkflow

__all__ = ["signal_statement", "start_collections"]

log = logging.getLogger(__name__)


async def start_collections(client: Client, session_factory: sessionmaker[Session], *,
                            period: str, task_queue: str,
                            config: DunningConfig | None = None) -> list[str]:
    """One workflow per flow of `period` collected by Mollie or direct debit
    (a transfer is the debtor's to make); already started ones are left alone."""
    with transaction(session_factory) as session:
        numbers = [number for number, _ in flows_to_collect(session, period)]
    started = []
    for number in numbers:
        try:
            await client.start_workflow(
                InvoiceCollectionWorkflow.run, CollectionInput(number, config or DunningConfig()),
                id=collection_workflow_id(number), task_queue=task_queue)
            started.append(number)
        except WorkflowAlreadyStartedError:
            log.info("collection:%s is already running", number)
    return started


async def signal_statement(client: Client, session_factory: sessionmaker[Session],
                           result: ImportResult) -> int:
    """Tell the direct-debit collections the statement touched how they stand."""
    signalled = 0
    with session_factory() as session:
        flows = [session.get(InvoiceCollection, n) for n in {*result.matched, *result.returned}]
        updates = [
            (f.number, PaymentUpdate(
                sepa_attempt_id(f.number, f.failures + (f.status == "paid")),
                "paid" if f.status == "paid" else "failed"))
            for f in flows if f is not None and f.method == PaymentMethod.SEPA_MANDATE]
    for number, update in updates:
        try:
            await client.get_workflow_handle(collection_workflow_id(number)).signal(
                "payment_update", update)
            signalled += 1
        except RPCError as exc:
            log.info("collection:%s not signalled: %s", number, exc)
    return signalled
