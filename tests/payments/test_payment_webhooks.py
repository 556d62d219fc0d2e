"""Mollie's webhooks through the API into the per-invoice collection
workflow, on the real Temporal dev server and the fake Mollie API: the route
fetches the payment's state (never trusting the body), the ledger moves once
per payment and status however often or late the webhook comes, and a failed
or charged-back direct debit follows the dunning policy (retry, remind, flag)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from temporalio.worker import Worker

from activities.payment_messages import CollectionInput, DunningConfig, collection_workflow_id
from api.app import create_app
from db.base import transaction, utcnow
from db.demo import load_demo_data
from db.ledger import post_entry
from db.models.payments import InvoiceCollection
from domain.ledger import build_entry
from energycloud.settings import Settings
from tests.payments.fake_mollie import FakeMollie, RunningFake
from tests.payments.helpers import balances, open_collection, progress_until, provider_for
from workflows.invoice_collection import InvoiceCollectionWorkflow
from workflows.registry import all_activities, all_workflows

pytestmark = pytest.mark.temporal
FAST = DunningConfig(retry_after_s=1, retries=1, reminder_after_s=1, reminders=1,
                     chargeback_window_s=2, activity_timeout_s=20)


class _Temporal:
    def __init__(self, client):
        self._client = client

    async def client(self):
        return self._client


@pytest.fixture
def fake():
    with RunningFake(FakeMollie(fee_cents=29)) as running:
        yield running


def _world(factory, number: str, cents: int) -> None:
    load_demo_data(factory, password="pw")
    open_collection(factory, number, org_id=1, cents=cents, method="mollie")
    with transaction(factory) as s:  # the invoice: Acme owes it
        post_entry(s, build_entry(f"2026-10:{number}", "invoice", [
            ("receivable:org:1", cents), ("revenue:subscriptions", -cents)]), occurred_at=utcnow())


async def _run(temporal_client, session_factory, task_queue, fake, number, cents, script):
    provider = provider_for(fake, timeout_s=0.5)
    app = create_app(Settings(database_url="sqlite://"), session_factory=session_factory)
    app.state.temporal = _Temporal(temporal_client)
    app.state.payment_provider = provider
    transport = httpx.ASGITransport(app=app)
    with ThreadPoolExecutor(max_workers=4) as pool:
        async with Worker(temporal_client, task_queue=task_queue, workflows=all_workflows(),
                          activities=all_activities(session_factory, {"mollie": provider}),
                          activity_executor=pool), \
                httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            handle = await temporal_client.start_workflow(
                InvoiceCollectionWorkflow.run, CollectionInput(number, FAST),
                id=collection_workflow_id(number), task_queue=task_queue)

            async def webhook(pid: str) -> httpx.Response:
                return await api.post("/api/v1/webhooks/mollie", data={"id": pid})

            await script(handle, webhook)
            return await asyncio.wait_for(handle.result(), timeout=60)


async def test_a_paid_payment_posts_once_however_often_the_webhook_comes(
    temporal_client, session_factory, task_queue, fake
):
    _world(session_factory, "INV-2026-000101", 4861)

    async def script(handle, webhook):
        progress = await progress_until(handle, lambda p: p["payment"].startswith("tr_"))
        pid = progress["payment"]
        unknown = await webhook("tr_neverheardof")
        assert unknown.status_code == 200 and unknown.json()["handled"] is False
        assert (await webhook("")).status_code == 422
        first = await webhook(pid)  # still open: nothing moves
        assert first.json() == {"handled": True, "status": "open", "entries": 0}
        fake.set_status(pid, "paid")
        answers = [(await webhook(pid)).json()["entries"] for _ in range(3)]
        assert answers == [1, 0, 0]

    result = await _run(temporal_client, session_factory, task_queue, fake,
                        "INV-2026-000101", 4861, script)
    assert (result.status, result.attempts, result.failures) == ("paid", 1, 0)
    assert balances(session_factory) == {"clearing:psp": 4832, "expense:psp_fees": 29,
                                         "revenue:subscriptions": -4861}
    with session_factory() as s:
        assert s.get(InvoiceCollection, "INV-2026-000101").status == "paid"


async def test_a_charged_back_debit_is_retried_reminded_and_flagged(
    temporal_client, session_factory, task_queue, fake
):
    _world(session_factory, "INV-2026-000102", 4861)

    async def script(handle, webhook):
        pid = (await progress_until(handle, lambda p: p["payment"].startswith("tr_")))["payment"]
        fake.set_status(pid, "paid")
        assert (await webhook(pid)).json()["status"] == "paid"
        fake.chargeback(pid)
        fake.fail_next(1)  # Mollie's webhook comes while the API is down: 503, it retries
        assert (await webhook(pid)).status_code == 503
        fake.delay_next(1.5)  # and while it is too slow
        assert (await webhook(pid)).status_code == 503
        assert (await webhook(pid)).json() == {"handled": True, "status": "charged_back",
                                               "entries": 1}
        # Dunning: a recurring retry on the mandate the first payment created.
        retry = await progress_until(handle, lambda p: p["attempts"] == 2 and p["payment"] != pid)
        assert (await webhook(pid)).json()["entries"] == 0  # the old one, late and again
        fake.set_status(retry["payment"], "failed")
        assert (await webhook(retry["payment"])).json()["status"] == "failed"
        assert (await webhook(retry["payment"])).json()["entries"] == 0

    result = await _run(temporal_client, session_factory, task_queue, fake,
                        "INV-2026-000102", 4861, script)
    assert (result.status, result.attempts, result.reminders) == ("flagged", 2, 1)
    assert balances(session_factory) == {"receivable:org:1": 4861, "clearing:psp": -29,
                                         "expense:psp_fees": 29, "revenue:subscriptions": -4861}
    with session_factory() as s:
        flow = s.get(InvoiceCollection, "INV-2026-000102")
        assert (flow.status, flow.reminders) == ("flagged", 1)
