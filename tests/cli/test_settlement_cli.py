"""`energycloud settle` and `energycloud approve` as a newcomer runs them: real
processes (a platform worker, the CLI) against the real Temporal dev server, the
demo world with its October sessions."""

from __future__ import annotations

import os
import signal
from functools import partial

import pytest

from db.demo import load_demo_data
from energycloud.demo_october import drive_october_sessions
from tests.helpers import run_cli
from tests.workflows.helpers import session_worker, start_worker

pytestmark = pytest.mark.temporal


_cli = partial(run_cli, timeout_s=240)


async def test_settle_shows_the_documents_and_approve_settles_the_period(
    temporal_client, session_factory, db_url, task_queue, tmp_path, monkeypatch
):
    if not db_url.startswith("sqlite"):
        pytest.skip("the CLI uses the fixed workflow id settlement:2026-10: one backend only")
    load_demo_data(session_factory, password="pw")
    async with session_worker(temporal_client, session_factory, task_queue):
        await drive_october_sessions(temporal_client, session_factory, task_queue=task_queue,
                                     prefix=f"{task_queue[-12:]}-")
    address = temporal_client.service_client.config.target_host
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("OUTBOX_DIR", str(outbox))  # the worker's embedded outbox
    env = {**os.environ, "DATABASE_URL": db_url, "TEMPORAL_ADDRESS": address,
           "TASK_QUEUE": task_queue, "SETTLEMENT_DIR": str(tmp_path), "COLUMNS": "200",
           "LOG_LEVEL": "warning"}
    worker = start_worker(db_url, address, task_queue)
    try:
        code, out = await _cli(env, "settle", "--period", "2026-10", "--timeout", "180")
        assert code == 0, out
        for text in ("export", "render", "reconcile", "INV-2026-000001", "EUR 41.88",
                     "EUR 17.47", "EUR 12.52", "EUR 5.11", "EUR 9.45",
                     "in EUR 49.94 = out EUR 23.27 + kept EUR 26.67",
                     "payouts-2026-10-pain.001.xml", "collections-2026-10-pain.008.xml",
                     "period awaiting_approval", "energycloud approve --period 2026-10"):
            assert text in out, f"{text!r} not in:\n{out}"
        assert f"PDFs: {tmp_path / 'pdf' / '2026-10'}" in out
        assert (tmp_path / "pdf" / "2026-10" / "invoice" / "INV-2026-000001.pdf").exists()

        code, out = await _cli(env, "approve", "--period", "2026-10", "--by",
                               "finance@energycloud.example")
        assert code == 0, out
        assert "payouts released, period settled" in out
        assert "Documents mailed: 5 of 5" in out, out
        # Acme pays by direct debit: its collection workflow follows the pain.008.
        assert "Collections started: 1 (INV-2026-000001)" in out, out
        await temporal_client.get_workflow_handle("collection:INV-2026-000001").terminate()
        # The outbox holds the five mails, each with its PDF.
        assert len(list(outbox.glob("*.eml"))) == 5
        code, out = await _cli(env, "outbox")
        assert code == 0, out
        for text in ("finance@acme.example", "billing@shellrecharge.example",
                     "jan@acme.example", "finance@voltpartners.example",
                     "INV-2026-000001.pdf", "VoltPartners Laadoplossingen", "5 messages"):
            assert text in out, f"{text!r} not in:\n{out}"
        code, out = await _cli(env, "outbox", "--show", "1")
        assert code == 0 and "Reply-To:" in out and "Attachments:" in out, out
        code, out = await _cli(env, "outbox", "--undeliverable")
        assert code == 0 and "(0)" in out, out
        code, out = await _cli(env, "resend", "--document", "INV-2026-000001", "--by",
                               "finance@energycloud.example")
        assert code == 0 and "INV-2026-000001/2: sent" in out, out
        assert len(list(outbox.glob("*.eml"))) == 6

        code, out = await _cli(env, "settle", "--period", "2026-10")
        assert code == 0 and "period settled" in out, out
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
