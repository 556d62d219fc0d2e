"""Documents reach people by e-mail after approval (issue 13), read back from a
real SMTP server in the test process: October of SCENARIOS.md on the real
Temporal dev server, each recipient's PDF and branding; a refused recipient and
a recipient without an address are shown to finance, the others delivered;
sending again (a retry, a replay) sends nothing twice."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from activities.delivery_activities import DeliveryActivities
from activities.delivery_messages import DeliverInput
from activities.settlement_messages import Approval, SettlementConfig, SettlementInput
from db.base import transaction
from db.demo import load_demo_data
from db.mail_deliveries import deliveries, request_resend, undeliverable
from db.models import Emsp
from energycloud.demo_october import drive_october_sessions
from mail.transport import build_transport
from tests.mail.helpers import html_body, pdf_attachment, smtp_sink, text_body
from tests.settlement.helpers import wait_for_step
from tests.settlement.test_settlement_e2e import FIGURES
from tests.workflows.helpers import session_worker, start_worker
from workflows.monthly_settlement import MonthlySettlementWorkflow

pytestmark = pytest.mark.temporal

FAST = SettlementConfig(reminder_after_s=3600, reminder_every_s=3600, activity_timeout_s=60,
                        delivery_timeout_s=20, delivery_retry_initial_s=1,
                        delivery_retry_max_s=2, delivery_give_up_s=20)
VOLT = "VoltPartners Laadoplossingen"
# address → (kind, recipient name as on the document, sender display name, reply-to)
EXPECTED = {
    "finance@acme.example": [("invoice", "Acme Logistics B.V."),
                             ("payout_statement", "Acme Logistics B.V.")],
    "billing@shellrecharge.example": [("roaming_invoice", "ShellRecharge")],
    "jan@acme.example": [("payout_statement", "Jan de Vries")],
    "finance@voltpartners.example": [("profit_share_statement", "VoltPartners")],
}
SUBJECT = {"invoice": "Invoice", "roaming_invoice": "Roaming invoice",
           "payout_statement": "Payout statement",
           "profit_share_statement": "Profit-share statement"}


async def settle_and_approve(client, factory, task_queue, tmp_path, mail) -> object:
    load_demo_data(factory, password="pw")
    async with session_worker(client, factory, task_queue, mail=mail):
        await drive_october_sessions(client, factory, task_queue=task_queue,
                                     prefix=f"{task_queue[-12:]}-")
        handle = await client.start_workflow(
            MonthlySettlementWorkflow.run, SettlementInput("2026-10", str(tmp_path), FAST),
            id=f"settlement:2026-10:{task_queue}", task_queue=task_queue)
        await wait_for_step(handle, "awaiting_approval")
        yield handle
        await handle.signal(MonthlySettlementWorkflow.approve,
                            Approval("finance@energycloud.example", "2026-11-02T09:00:00+00:00"))
        yield await asyncio.wait_for(handle.result(), timeout=90)


async def test_after_approval_every_document_reaches_its_recipient_in_its_partners_brand(
    temporal_client, session_factory, task_queue, tmp_path
):
    with smtp_sink() as sink:
        steps = settle_and_approve(temporal_client, session_factory, task_queue, tmp_path,
                                   sink.config())
        handle = await anext(steps)
        assert sink.messages == []  # nothing leaves before finance approves
        result = await anext(steps)
        assert result.state == "settled"
        progress = await handle.query(MonthlySettlementWorkflow.progress)
        await steps.aclose()

        assert len(sink.messages) == 5
        for address, documents in EXPECTED.items():
            received = sink.to(address)
            assert sorted(m["Subject"].split(" ")[0] for m in received) == sorted(
                SUBJECT[kind].split(" ")[0] for kind, _ in documents), address
            for msg in received:
                kind, name = next((k, n) for k, n in documents
                                  if msg["Subject"].startswith(SUBJECT[k] + " "))
                number = msg["X-Energycloud-Delivery"].split("/")[0]
                assert number in msg["Subject"]
                filename, text = pdf_attachment(msg)
                assert filename == f"{number}.pdf" and number in text
                for figure in FIGURES[(kind, name)]:
                    assert figure in text, f"{figure} missing from the PDF mailed to {address}"
                html, plain = html_body(msg), text_body(msg)
                assert number in plain and name in plain
                if address == "billing@shellrecharge.example":  # no partner: the platform
                    assert msg["From"].addresses[0].display_name == "Energy Cloud"
                    assert msg["Reply-To"].addresses[0].addr_spec == "support@energycloud.example"
                else:
                    assert msg["From"].addresses[0].display_name == VOLT
                    assert msg["Reply-To"].addresses[0].addr_spec == "support@voltpartners.example"
                    assert "#0b6e4f" in html and "#e8f5ee" in html
                    assert "cid:brand-logo" in html
                    logo = [p for p in msg.walk() if p.get_content_type() == "image/svg+xml"]
                    assert logo and b"VoltPartners" in logo[0].get_content()
                assert msg["From"].addresses[0].addr_spec == "noreply@energycloud.example"
        assert progress.undeliverable == ()
        assert sorted(progress.deliveries) == sorted(
            f"{n}/1 sent" for n in ("INV-2026-000001", "INV-2026-000002", "SB-2026-000001",
                                    "SB-2026-000002", "SB-2026-000003"))
        with session_factory() as s:
            rows = deliveries(s, period="2026-10")
        assert [(r.status, r.attempts) for r in rows] == [("sent", 1)] * 5

        # A retry or a replay of any delivery sends nothing again.
        acts = DeliveryActivities(session_factory, config=sink.config(),
                                  transport=build_transport(sink.config()))
        for row in rows:
            outcome = await acts.deliver_document(DeliverInput(row.key))
            assert outcome.status == "sent"
        assert len(sink.messages) == 5

        # A resend is explicit and recorded: who and when; it goes out once more.
        with transaction(session_factory) as s:
            resend = request_resend(s, number="INV-2026-000001", by="finance@energycloud.example",
                                    at=datetime.now(UTC))
            key = resend.key
        assert key == "INV-2026-000001/2"
        assert (await acts.deliver_document(DeliverInput(key))).status == "sent"
        assert (await acts.deliver_document(DeliverInput(key))).status == "sent"
        assert len(sink.to("finance@acme.example")) == 3

        # An attempt that stopped during DATA (the row says `sending`) may have been
        # received: an SMTP server cannot tell, so it is not sent again but shown.
        with transaction(session_factory) as s:
            row = request_resend(s, number="SB-2026-000003", by="finance@energycloud.example",
                                 at=datetime.now(UTC))
            row.status, key = "sending", row.key
        outcome = await acts.deliver_document(DeliverInput(key))
        assert outcome.status == "unconfirmed" and "may have arrived" in outcome.detail
        assert len(sink.messages) == 6
        with session_factory() as s:
            assert [r.key for r in undeliverable(s)] == []  # SB-2026-000003/1 was sent


async def test_a_refused_recipient_and_one_without_address_are_shown_to_finance(
    temporal_client, session_factory, task_queue, tmp_path
):
    with smtp_sink(refuse={"jan@acme.example"}) as sink:
        steps = settle_and_approve(temporal_client, session_factory, task_queue, tmp_path,
                                   sink.config())
        handle = await anext(steps)
        with transaction(session_factory) as s:  # ShellRecharge lost its billing address
            s.execute(update(Emsp).where(Emsp.name == "ShellRecharge").values(billing_email=None))
        result = await anext(steps)
        progress = await handle.query(MonthlySettlementWorkflow.progress)
        await steps.aclose()
    assert result.state == "settled"
    received = sorted(m["To"].addresses[0].addr_spec for m in sink.messages)
    assert received == ["finance@acme.example", "finance@acme.example",
                        "finance@voltpartners.example"]
    assert progress.undeliverable == (
        "INV-2026-000002 ShellRecharge: ShellRecharge has no billing e-mail",)
    with session_factory() as s:
        listed = {r.recipient_name: (r.status, r.last_error) for r in undeliverable(s)}
    assert set(listed) == {"Jan de Vries", "ShellRecharge"}
    assert listed["Jan de Vries"][0] == "failed_permanent"
    assert "550" in listed["Jan de Vries"][1] and "jan@acme.example" in listed["Jan de Vries"][1]
    assert listed["ShellRecharge"][0] == "no_address"


async def test_a_worker_killed_while_sending_resumes_and_sends_nothing_twice(
    temporal_client, session_factory, db_url, task_queue, tmp_path, monkeypatch
):
    load_demo_data(session_factory, password="pw")
    async with session_worker(temporal_client, session_factory, task_queue):
        await drive_october_sessions(temporal_client, session_factory, task_queue=task_queue,
                                     prefix=f"{task_queue[-12:]}-")
    address = temporal_client.service_client.config.target_host
    config = SettlementConfig(reminder_after_s=3600, reminder_every_s=3600,
                              activity_timeout_s=5, delivery_timeout_s=5,
                              delivery_retry_initial_s=1, delivery_retry_max_s=2,
                              delivery_give_up_s=120)
    with smtp_sink(rcpt_delay_s=0.8) as sink:  # a slow server: the kill lands mid-sending
        for name, value in (("MAIL_TRANSPORT", "smtp"), ("SMTP_HOST", "127.0.0.1"),
                            ("SMTP_PORT", str(sink.port)), ("SMTP_SECURITY", "none")):
            monkeypatch.setenv(name, value)
        worker = start_worker(db_url, address, task_queue)
        try:
            handle = await temporal_client.start_workflow(
                MonthlySettlementWorkflow.run, SettlementInput("2026-10", str(tmp_path), config),
                id=f"settlement:2026-10:{task_queue}", task_queue=task_queue)
            await wait_for_step(handle, "awaiting_approval")
            approval = Approval("finance@energycloud.example", datetime.now(UTC).isoformat())
            await handle.signal(MonthlySettlementWorkflow.approve, approval)
            for _ in range(300):
                if sink.messages:
                    break
                await asyncio.sleep(0.05)
            assert 1 <= len(sink.messages) < 5
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        killed_at = len(sink.messages)
        worker = start_worker(db_url, address, task_queue)
        try:
            result = await asyncio.wait_for(handle.result(), timeout=120)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        keys = [m["X-Energycloud-Delivery"] for m in sink.messages]
    assert result.state == "settled"
    assert killed_at < 5
    assert len(keys) == len(set(keys)), f"sent twice: {keys}"
    with session_factory() as s:
        rows = deliveries(s, period="2026-10")
    assert {r.key for r in rows if r.status == "sent"} <= set(keys)
    # Everything arrived once; only a kill inside DATA itself could leave one unconfirmed.
    assert all(r.status in ("sent", "unconfirmed") for r in rows)
    assert len(keys) == 5
