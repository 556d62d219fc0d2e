"""A direct debit the bank returns, on the real Temporal dev server: the bank
statement tells the collection workflow, which collects again by a new
pain.008 after the policy's wait; the second statement says it came in and
the receivable is zero."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from temporalio.worker import Worker

from activities.payment_messages import DunningConfig, collection_workflow_id
from db.base import transaction, utcnow
from db.demo import load_demo_data
from db.ledger import post_entry
from db.models.payments import InvoiceCollection
from domain.ledger import build_entry
from energycloud.collections import signal_statement, start_collections
from settlement.payments.sepa_files import SepaFilesProvider
from tests.payments.camt_builder import Booked, camt053, from_payment_file
from tests.payments.helpers import balances, open_collection, progress_until
from workflows.invoice_collection import InvoiceCollectionWorkflow
from workflows.registry import all_activities, all_workflows

pytestmark = pytest.mark.temporal
FAST = DunningConfig(retry_after_s=1, retries=1, reminder_after_s=30, reminders=1,
                     chargeback_window_s=2, activity_timeout_s=20)
NUMBER = "INV-2026-000301"
IBAN = "NL91ABNA0417164300"


async def test_a_returned_direct_debit_is_collected_again_after_the_policys_wait(
    temporal_client, session_factory, task_queue, tmp_path
):
    load_demo_data(session_factory, password="pw")
    open_collection(session_factory, NUMBER, org_id=1, cents=4188, method="sepa_mandate")
    with transaction(session_factory) as s:
        post_entry(s, build_entry(f"2026-10:{NUMBER}", "invoice", [
            ("receivable:org:1", 4188), ("revenue:subscriptions", -4188)]), occurred_at=utcnow())
    provider = SepaFilesProvider(session_factory=session_factory, out_dir=tmp_path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        async with Worker(temporal_client, task_queue=task_queue, workflows=all_workflows(),
                          activities=all_activities(session_factory, {"sepa": provider}),
                          activity_executor=pool):
            started = await start_collections(temporal_client, session_factory,
                                              period="2026-10", task_queue=task_queue,
                                              config=FAST)
            assert started == [NUMBER]
            assert await start_collections(temporal_client, session_factory, period="2026-10",
                                           task_queue=task_queue, config=FAST) == []
            handle = temporal_client.get_workflow_handle_for(
                InvoiceCollectionWorkflow.run, collection_workflow_id(NUMBER))
            await progress_until(handle, lambda p: p["payment"] == f"{NUMBER}/1")

            debit = Booked("DD-1", 4188, NUMBER, f"2026-10 {NUMBER}", "Acme Logistics B.V.")
            back = Booked("RT-1", -4188, NUMBER, f"2026-10 {NUMBER}", "Acme Logistics B.V.",
                          "MD06")
            first = provider.import_statement(camt053("S-1", IBAN, [debit, back]))
            assert await signal_statement(temporal_client, session_factory, first) == 1
            await progress_until(handle, lambda p: p["payment"] == f"{NUMBER}/2")
            retry_file = tmp_path / f"collection-{NUMBER}-attempt-2-pain.008.xml"
            again, = from_payment_file(retry_file.read_bytes(), prefix="DD2")
            second = provider.import_statement(camt053("S-2", IBAN, [again]))
            assert await signal_statement(temporal_client, session_factory, second) == 1
            result = await asyncio.wait_for(handle.result(), timeout=60)

    assert (result.status, result.attempts, result.failures) == ("paid", 2, 1)
    assert balances(session_factory) == {"cash:bank": 4188, "revenue:subscriptions": -4188}
    with session_factory() as s:
        assert s.get(InvoiceCollection, NUMBER).status == "paid"
