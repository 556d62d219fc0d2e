"""Durability of the session workflow: a worker process killed with SIGKILL in
the middle of sessions loses nothing and posts nothing twice; recorded histories
replay against the current workflow code."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from db.demo import load_demo_data
from db.ledger import entries_for_reference, trial_balance
from db.models import ChargingSession, JournalEntryRow
from tests.workflows.helpers import ScriptedSession, session_worker, start_worker
from workflows.charging_session import ChargingSessionWorkflow
from workflows.session_gateway import SessionGateway

pytestmark = pytest.mark.temporal

HISTORIES = Path(__file__).resolve().parents[1] / "histories"  # tests/histories
OCT = datetime(2026, 10, 20, 18, 0, tzinfo=UTC)


async def test_worker_killed_mid_session_loses_nothing_and_posts_once(
    temporal_env, session_factory, db_url, task_queue
):
    load_demo_data(session_factory, password="pw")
    client = temporal_env.client
    address = client.service_client.config.target_host
    gateway = SessionGateway(client=client, session_factory=session_factory,
                             task_queue=task_queue)
    scripts = [
        ScriptedSession("ACME-DEPOT-01", "NL-TNM-C00122045-K", 24_000, OCT,
                        transaction_id=f"kill-a-{uuid.uuid4().hex[:8]}"),
        ScriptedSession("ACME-HOME-001", "ACME-JAN-01", 18_250, OCT,
                        transaction_id=f"kill-b-{uuid.uuid4().hex[:8]}"),
        ScriptedSession("ACME-DEPOT-02", "NL-TNM-C00122045-K", 10_500, OCT,
                        transaction_id=f"kill-c-{uuid.uuid4().hex[:8]}"),
    ]
    first = start_worker(db_url, address, task_queue)
    try:
        answers = await asyncio.wait_for(
            asyncio.gather(*(gateway.start(s.start()) for s in scripts)), timeout=60)
        assert all(a.accepted for a in answers)
        for script, answer in zip(scripts, answers, strict=True):
            script.store_meter_values(session_factory, answer.workflow_id)
            await gateway.meter_summary(script.summary(0.5))
        # Stop all three and kill the worker while it prices and settles them.
        await asyncio.gather(*(gateway.stop(s.stop()) for s in scripts))
        await asyncio.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    second = start_worker(db_url, address, task_queue)
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(gateway.result(s.ocpp_id, s.transaction_id) for s in scripts)),
            timeout=90,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert [r.consumer_price_cents for r in results] == [971, 511, 473]
    with session_factory() as s:
        for answer in answers:
            assert len(entries_for_reference(s, answer.workflow_id)) == 1
        assert s.scalar(select(func.count()).select_from(JournalEntryRow)) == 3
        assert s.scalar(select(func.count()).select_from(ChargingSession)) == 3
        assert sum(trial_balance(s).values()) == 0


async def test_recorded_histories_replay_against_current_workflow_code(
    temporal_client, session_factory, task_queue
):
    """Histories recorded from earlier versions (tests/histories/*.json) and
    fresh ones from this run must replay without non-determinism errors."""
    load_demo_data(session_factory, password="pw")
    fresh = []
    async with session_worker(temporal_client, session_factory, task_queue) as gateway:
        for tag, ocpp_id in (("NL-TNM-C00122045-K", "ACME-DEPOT-01"),
                             ("ACME-JAN-01", "ACME-HOME-001"), ("DEADBEEF", "ACME-DEPOT-01")):
            script = ScriptedSession(ocpp_id, tag, 5_000, OCT,
                                     transaction_id=f"replay-{uuid.uuid4().hex[:8]}")
            answer = await gateway.start(script.start())
            if answer.accepted:
                await gateway.meter_summary(script.summary(0.5))
                await gateway.stop(script.stop())
            await gateway.result(script.ocpp_id, script.transaction_id)
            handle = temporal_client.get_workflow_handle(answer.workflow_id)
            fresh.append(await handle.fetch_history())
    if os.environ.get("EC_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        for history in fresh:
            name = history.workflow_id.replace(":", "_") + ".json"
            (HISTORIES / name).write_text(history.to_json())
    recorded = [
        WorkflowHistory.from_json(path.stem, path.read_text())
        for path in sorted(HISTORIES.glob("*.json"))
    ]
    assert recorded, "no recorded histories in tests/histories (EC_RECORD_HISTORIES=1 makes them)"
    replayer = Replayer(workflows=[ChargingSessionWorkflow])
    # The workflow runs outside the sandbox in production (for speed); replayed
    # inside it here, so what the sandbox forbids (a clock, randomness, I/O in
    # workflow code) still fails a test.
    sandboxed = Replayer(workflows=[ChargingSessionWorkflow],
                         unsandboxed_workflow_runner=SandboxedWorkflowRunner())
    for history in recorded + fresh:
        await replayer.replay_workflow(history)
        await sandboxed.replay_workflow(history)
