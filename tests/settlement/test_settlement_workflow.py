"""The monthly settlement workflow's behaviour on the real Temporal dev server:
a worker killed mid-run resumes with no second document, number or posting; an
invalid IBAN blocks approval; a rejection after a correction issues credit
notes in a new run; finance is reminded; the monthly schedule is created once."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from temporalio.client import WorkflowFailureError

from activities.settlement_messages import Approval, SettlementConfig, SettlementInput
from db.base import transaction
from db.demo import load_demo_data
from db.models import ChargingPoint, IssuedDocumentRow, JournalEntryRow, LedgerPosting, Organization
from db.settlement_periods import reconcile_period
from energycloud.demo_october import drive_october_sessions
from tests.db.helpers import without_guards
from tests.settlement.helpers import reject_then_approve, wait_for_step
from tests.workflows.helpers import session_worker, start_worker
from workflows.monthly_settlement import MonthlySettlementLauncher, MonthlySettlementWorkflow
from workflows.settlement_schedule import ensure_settlement_schedule

pytestmark = pytest.mark.temporal

# Eight entries: three sessions (S1, S2, S4) and five of the documents
# (subscriptions, roaming VAT, Acme's self-billing VAT, kickback, Volt's VAT).
OCTOBER_ENTRIES = 8


async def _october(client, factory, task_queue) -> None:
    load_demo_data(factory, password="pw")
    async with session_worker(client, factory, task_queue):
        await drive_october_sessions(client, factory, task_queue=task_queue,
                                     prefix=f"{task_queue[-12:]}-")


async def _start(client, task_queue, work_dir, config: SettlementConfig):
    return await client.start_workflow(
        MonthlySettlementWorkflow.run, SettlementInput("2026-10", str(work_dir), config),
        id=f"settlement:2026-10:{task_queue}", task_queue=task_queue,
    )


def _numbers(factory) -> list[str]:
    with factory() as s:
        return sorted(s.scalars(select(IssuedDocumentRow.number)))


APPROVAL = Approval("finance@energycloud.example", "2026-11-02T09:00:00+00:00")


async def _october_approved(client, task_queue, work_dir) -> None:
    """October computed, approved by finance and settled (a worker must run)."""
    october = await _start(client, task_queue, work_dir, SettlementConfig())
    await wait_for_step(october, "awaiting_approval")
    await october.signal(MonthlySettlementWorkflow.approve, APPROVAL)
    await october.result()


def _entries(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(JournalEntryRow))


async def test_a_worker_killed_at_each_step_resumes_without_a_second_number_or_posting(
    temporal_client, session_factory, db_url, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)
    address = temporal_client.service_client.config.target_host
    handle = await _start(temporal_client, task_queue, tmp_path,
                          SettlementConfig(activity_timeout_s=5))
    for step in ("issue", "render", "files"):
        worker = start_worker(db_url, address, task_queue)
        try:
            await wait_for_step(handle, step, timeout_s=90, or_later=True)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
    worker = start_worker(db_url, address, task_queue)
    try:
        progress = await wait_for_step(handle, "awaiting_approval", timeout_s=120)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert progress.blocked is None, progress.blocked
    assert _numbers(session_factory) == [
        "INV-2026-000001", "INV-2026-000002", "SB-2026-000001", "SB-2026-000002",
        "SB-2026-000003"]
    assert _entries(session_factory) == OCTOBER_ENTRIES
    with session_factory() as s:
        assert reconcile_period(s, "2026-10").ok
        assert all(s.scalars(select(IssuedDocumentRow.pdf_sha256)))


async def test_an_invalid_iban_blocks_approval_until_corrected_and_rerun(
    temporal_client, session_factory, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)
    with transaction(session_factory) as s:
        s.execute(update(Organization).where(Organization.name == "Jan de Vries")
                  .values(iban="NL00ASNB0707070707"))
    async with session_worker(temporal_client, session_factory, task_queue):
        handle = await _start(temporal_client, task_queue, tmp_path, SettlementConfig())
        progress = await wait_for_step(handle, "awaiting_approval")
        assert "Jan de Vries" in progress.blocked and "IBAN" in progress.blocked
        await handle.signal(MonthlySettlementWorkflow.approve,
                            Approval("finance@energycloud.example", datetime.now(UTC).isoformat()))
        await asyncio.sleep(0.5)
        progress = await handle.query(MonthlySettlementWorkflow.progress)
        assert progress.refused.startswith("approval by finance@energycloud.example refused")
        assert progress.step == "awaiting_approval"

        with transaction(session_factory) as s:
            s.execute(update(Organization).where(Organization.name == "Jan de Vries")
                      .values(iban="NL66ASNB0707070707"))
        result = await reject_then_approve(handle, "Jan's IBAN corrected")
    assert (result.state, result.runs, len(result.documents)) == ("settled", 2, 5)


async def test_a_rejection_after_a_correction_issues_credit_notes_in_a_new_run(
    temporal_client, session_factory, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)
    config = SettlementConfig(reminder_after_s=1, reminder_every_s=1)
    async with session_worker(temporal_client, session_factory, task_queue):
        handle = await _start(temporal_client, task_queue, tmp_path, config)
        await wait_for_step(handle, "awaiting_approval")
        await asyncio.sleep(2.5)
        assert (await handle.query(MonthlySettlementWorkflow.progress)).reminders >= 1
        entries = _entries(session_factory)

        # SCENARIOS November: Jan's charger was first connected on 18, not 11 October.
        with transaction(session_factory) as s:
            s.execute(update(ChargingPoint).where(ChargingPoint.ocpp_id == "ACME-HOME-001")
                      .values(first_connected_at=datetime(2026, 10, 18, 7, tzinfo=UTC)))
        result = await reject_then_approve(handle, "ACME-HOME-001 from 18 Oct")
    notes = [(d.number, d.corrects_number, d.total_cents) for d in result.documents
             if d.kind == "credit_note"]
    assert notes == [("CN-2026-000001", "INV-2026-000001", -218),
                     ("CN-2026-000002", "SB-2026-000003", -44)]
    assert all(d.pdf_path for d in result.documents)
    # Credit notes post their reversals (subscriptions with VAT; kickback; VAT:
    # 3), then the money moves: 3 statements and Volt's credit note paid, Acme's
    # invoice and credit note collected by direct debit (6).
    assert _entries(session_factory) == entries + 3 + 6
    with session_factory() as s:
        assert reconcile_period(s, "2026-10").ok


async def test_the_monthly_schedule_is_created_once_and_launches_the_previous_month(
    temporal_client, task_queue, tmp_path
):
    schedule_id = f"settlement-monthly-{uuid.uuid4().hex[:8]}"
    first = await ensure_settlement_schedule(temporal_client, task_queue=task_queue,
                                             work_dir=str(tmp_path), schedule_id=schedule_id)
    again = await ensure_settlement_schedule(temporal_client, task_queue=task_queue,
                                             work_dir=str(tmp_path), schedule_id=schedule_id)
    described = await temporal_client.get_schedule_handle(schedule_id).describe()
    await temporal_client.get_schedule_handle(schedule_id).delete()
    assert (first, again) == (True, False)
    assert described.schedule.spec.cron_expressions == ["0 6 1 * *"] or (
        described.schedule.spec.calendars
    )
    assert described.schedule.spec.time_zone_name == "Europe/Amsterdam"

    period = f"20{uuid.uuid4().int % 70 + 30}-0{uuid.uuid4().int % 9 + 1}"
    async with session_worker(temporal_client, None, task_queue):
        launched = await temporal_client.execute_workflow(
            MonthlySettlementLauncher.run, SettlementInput(period, str(tmp_path)),
            id=f"launch-{task_queue}", task_queue=task_queue,
        )
    child = temporal_client.get_workflow_handle(f"settlement:{launched}")
    assert launched == period
    assert (await child.describe()).workflow_type == "MonthlySettlement"
    await child.terminate("test over")


async def test_a_settled_period_is_corrected_only_by_credit_notes_in_a_supplementary_run(
    temporal_client, session_factory, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)
    async with session_worker(temporal_client, session_factory, task_queue):
        await _october_approved(temporal_client, task_queue, tmp_path)
        _first_connected(session_factory, 18)
        entries = _entries(session_factory)

        again = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run, SettlementInput("2026-10", str(tmp_path)),
            id=f"settlement:2026-10:again:{task_queue}", task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failure:
            await asyncio.wait_for(again.result(), timeout=60)
        assert "corrections are credit notes in a supplementary run" in str(
            failure.value.cause.cause)

        supplementary = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run,
            SettlementInput("2026-10", str(tmp_path), SettlementConfig(), supplementary=1),
            id=f"settlement:2026-10:supplementary-1:{task_queue}", task_queue=task_queue)
        progress = await wait_for_step(supplementary, "awaiting_approval")
        assert progress.blocked is None, progress.blocked
        await supplementary.signal(MonthlySettlementWorkflow.approve, APPROVAL)
        result = await asyncio.wait_for(supplementary.result(), timeout=60)

        nothing = await temporal_client.execute_workflow(
            MonthlySettlementWorkflow.run,
            SettlementInput("2026-10", str(tmp_path), SettlementConfig(), supplementary=2),
            id=f"settlement:2026-10:supplementary-2:{task_queue}", task_queue=task_queue)
    notes = [(d.number, d.corrects_number, d.total_cents) for d in result.documents
             if d.kind == "credit_note"]
    assert notes == [("CN-2026-000001", "INV-2026-000001", -218),
                     ("CN-2026-000002", "SB-2026-000003", -44)]
    assert nothing.documents == ()
    assert _entries(session_factory) == entries + 3  # the credit notes' reversals only
    with session_factory() as s:
        result = reconcile_period(s, "2026-10")
    assert result.ok, result.describe()
    assert (result.in_cents, result.out_cents, result.kept_cents) == (4994 - 180, 2327 - 36,
                                                                      2667 - 144)
    assert result.vat_payable_cents == 560 - 30


async def _supplementary(client, task_queue, work_dir, n: int, approval: Approval | None):
    """Run the n-th supplementary run of October; approve it when it has work."""
    handle = await client.start_workflow(
        MonthlySettlementWorkflow.run,
        SettlementInput("2026-10", str(work_dir), SettlementConfig(), supplementary=n),
        id=f"settlement:2026-10:supplementary-{n}:{task_queue}", task_queue=task_queue)
    if approval is not None:
        progress = await wait_for_step(handle, "awaiting_approval")
        assert progress.blocked is None, progress.blocked
        await handle.signal(MonthlySettlementWorkflow.approve, approval)
    return await asyncio.wait_for(handle.result(), timeout=60)


def _first_connected(factory, day: int) -> None:
    with transaction(factory) as s:
        s.execute(update(ChargingPoint).where(ChargingPoint.ocpp_id == "ACME-HOME-001")
                  .values(first_connected_at=datetime(2026, 10, day, 7, tzinfo=UTC)))


async def test_a_second_correction_credits_the_first_credit_note_once(
    temporal_client, session_factory, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)
    async with session_worker(temporal_client, session_factory, task_queue):
        await _october_approved(temporal_client, task_queue, tmp_path)
        _first_connected(session_factory, 18)  # November's correction
        await _supplementary(temporal_client, task_queue, tmp_path, 1, APPROVAL)
        entries = _entries(session_factory)

        _first_connected(session_factory, 25)  # and December's: 7/31 days, 1.80
        second = await _supplementary(temporal_client, task_queue, tmp_path, 2, APPROVAL)
        # The same run again, and the next one, find nothing left to correct.
        rerun = await _supplementary(temporal_client, task_queue, tmp_path, 2, None)
        nothing = await _supplementary(temporal_client, task_queue, tmp_path, 3, None)
    notes = [(d.number, d.corrects_number, d.total_cents) for d in second.documents
             if d.kind == "credit_note"]
    assert notes == [("CN-2026-000001", "INV-2026-000001", -218),
                     ("CN-2026-000002", "SB-2026-000003", -44),
                     ("CN-2026-000003", "CN-2026-000001", -217),
                     ("CN-2026-000004", "CN-2026-000002", -44)]
    assert all(d.pdf_path for d in second.documents)
    assert (rerun.documents, nothing.documents) == ((), ())
    assert len(_numbers(session_factory)) == 9  # October's five and four credit notes
    assert _entries(session_factory) == entries + 3  # the second notes' reversals only
    with session_factory() as s:
        result = reconcile_period(s, "2026-10")
    assert result.ok, result.describe()
    assert (result.in_cents, result.out_cents, result.kept_cents) == (
        4994 - 180 - 179, 2327 - 36 - 36, 2667 - 144 - 143)
    assert result.vat_payable_cents == 560 - 30 - 30


async def test_a_posting_tampered_while_awaiting_approval_blocks_the_approval(
    temporal_client, session_factory, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)
    async with session_worker(temporal_client, session_factory, task_queue):
        handle = await _start(temporal_client, task_queue, tmp_path, SettlementConfig())
        await wait_for_step(handle, "awaiting_approval")
        with session_factory() as s:
            posting = s.scalar(
                select(LedgerPosting.id)
                .join(JournalEntryRow, JournalEntryRow.id == LedgerPosting.entry_id)
                .where(JournalEntryRow.idempotency_key == "2026-10:roaming_invoice:emsp:1:vat",
                       LedgerPosting.account == "receivable:emsp:1"))
        without_guards(
            session_factory, "ledger_postings", ["ledger_posting_update"],
            "ledger_posting_guard",
            update(LedgerPosting).where(LedgerPosting.id == posting).values(amount_cents=300))
        await handle.signal(MonthlySettlementWorkflow.approve,
                            Approval("finance@energycloud.example", datetime.now(UTC).isoformat()))
        for _ in range(100):
            progress = await handle.query(MonthlySettlementWorkflow.progress)
            if progress.refused:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test over")
    assert progress.step == "awaiting_approval"
    assert progress.refused.startswith("approval by finance@energycloud.example refused")
    assert "receivable:emsp:1: ledger 1744 cents, documents (INV-2026-000002) 1747 cents, " \
        "difference -3 cents" in progress.blocked
