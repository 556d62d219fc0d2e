"""The SCENARIOS month with its money moving, on the real Temporal dev server,
SQLite and PostgreSQL: October is settled and approved, the period's own
pain.008 and pain.001 go to the bank, and the bank's camt.053 (generated here
from those files) says Acme's direct debit and ShellRecharge's transfer came
in and Jan, Acme and VoltPartners were paid. Receivables and payables end at
zero; a second import changes nothing; what matches nothing is listed.

The second test has the bank return Acme's direct debit (MD06) and
VoltPartners' transfer (AC04): the dunning retry collects again by a new
pain.008, the failed payout is paid again once (never the paid ones)."""

from __future__ import annotations

import asyncio
import os
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from activities.settlement_messages import Approval, SettlementInput
from db.demo import load_demo_data
from db.ledger import trial_balance
from db.models import IssuedDocumentRow, PlatformSettings
from db.models.payments import InvoiceCollection, PayoutRow
from db.payment_overview import period_overview
from energycloud.demo_october import drive_october_sessions
from settlement.payments.provider import CollectionRequest
from settlement.payments.sepa_files import SepaFilesProvider
from tests.helpers import run_cli
from tests.payments.camt_builder import Booked, camt053, from_payment_file
from tests.settlement.helpers import wait_for_step
from tests.settlement.test_settlement_e2e import FAST
from tests.workflows.helpers import session_worker
from workflows.monthly_settlement import MonthlySettlementWorkflow

pytestmark = pytest.mark.temporal


async def _settled_october(temporal_client, factory, task_queue, tmp_path) -> dict[str, Path]:
    load_demo_data(factory, password="pw")
    async with session_worker(temporal_client, factory, task_queue):
        await drive_october_sessions(temporal_client, factory, task_queue=task_queue,
                                     prefix=f"{task_queue[-12:]}-")
        handle = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run, SettlementInput("2026-10", str(tmp_path), FAST),
            id=f"settlement:2026-10:{task_queue}", task_queue=task_queue)
        progress = await wait_for_step(handle, "awaiting_approval")
        await handle.signal(MonthlySettlementWorkflow.approve,
                            Approval("finance@energycloud.example", "2026-11-02T09:00:00+00:00"))
        assert (await asyncio.wait_for(handle.result(), timeout=60)).state == "settled"
    return {Path(f).name: Path(f) for f in progress.files}


def _world(factory):
    with factory() as s:
        iban = s.scalar(select(PlatformSettings.iban))
        shell = s.scalar(select(IssuedDocumentRow).where(
            IssuedDocumentRow.recipient_name == "ShellRecharge"))
        return iban, shell.number, shell.total_cents


def _open_accounts(factory) -> dict[str, int]:
    with factory() as s:
        return {a: c for a, c in trial_balance(s).items()
                if c and a.split(":")[0] in ("receivable", "payable")}


_cli = partial(run_cli, timeout_s=120)


async def test_october_is_collected_and_paid_out_from_the_bank_statement(
    temporal_client, session_factory, db_url, task_queue, tmp_path
):
    files = await _settled_october(temporal_client, session_factory, task_queue, tmp_path)
    iban, shell_number, shell_cents = _world(session_factory)
    debits = from_payment_file(files["collections-2026-10-pain.008.xml"].read_bytes(),
                               prefix="DD")
    transfers = from_payment_file(files["payouts-2026-10-pain.001.xml"].read_bytes(),
                                  prefix="CT")
    assert [d.cents for d in debits] == [4188]
    assert sorted(t.cents for t in transfers) == [-1252, -945, -511]
    lines = [*debits, *transfers,
             Booked("TR-1", shell_cents, None, f"Roaming {shell_number} Oct", "ShellRecharge"),
             Booked("TR-2", 1234, None, "no idea what this is", "Somebody")]
    provider = SepaFilesProvider(session_factory=session_factory, out_dir=tmp_path / "out")
    with session_factory() as s:  # before the statement: the debit is out, nothing confirmed
        before = period_overview(s, "2026-10", today=date(2026, 11, 5))
    assert before.outstanding_cents == 4188 + shell_cents and before.collected_cents == 0

    statement = tmp_path / "camt053-2026-11-06.xml"
    statement.write_bytes(camt053("STMT-2026-11-06", iban, lines))
    env = {**os.environ, "DATABASE_URL": db_url, "SETTLEMENT_DIR": str(tmp_path / "cli"),
           "COLUMNS": "200", "LOG_LEVEL": "warning",
           "TEMPORAL_ADDRESS": temporal_client.service_client.config.target_host}
    code, out = await _cli(env, "bank-import", str(statement))
    assert code == 1, out  # one line matches nothing: finance must look
    for text in ("Statement STMT-2026-11-06: 6 lines, 6 new, 5 matched", "Not matched",
                 "TR-2", "€ 12.34", "no idea what this is"):
        assert text in out, f"{text!r} not in:\n{out}"
    code, out = await _cli(env, "payments", "--period", "2026-10")
    assert code == 0, out
    for text in ("Payments of 2026-10", "collected", f"€ {(4188 + shell_cents) / 100:.2f}",
                 "€ 27.08", "Jan de Vries", "VoltPartners", "paid"):
        assert text in out, f"{text!r} not in:\n{out}"
    result = provider.import_statement(statement.read_bytes())  # the same file again
    assert (result.new_lines, result.entries) == (0, 0)

    assert sorted(result.matched) == sorted([d.end_to_end_id for d in debits]
                                            + [t.end_to_end_id for t in transfers] + [shell_number])
    assert [u.entry_ref for u in result.unmatched] == ["TR-2"]
    assert _open_accounts(session_factory) == {}
    with session_factory() as s:
        assert {c.status for c in s.scalars(select(InvoiceCollection))} == {"paid"}
        assert sorted((p.payee_name, p.status) for p in s.scalars(select(PayoutRow))) == [
            ("Acme Logistics B.V.", "paid"), ("Jan de Vries", "paid"), ("VoltPartners", "paid")]
        assert sum(trial_balance(s).values()) == 0
        cash = trial_balance(s)["cash:bank"]
        overview = period_overview(s, "2026-10", today=date(2026, 11, 7))
    assert cash == 4188 + shell_cents - 1252 - 945 - 511
    assert (overview.collected_cents, overview.outstanding_cents, overview.paid_out_cents,
            overview.bounced_cents) == (4188 + shell_cents, 0, 1252 + 945 + 511, 0)



async def test_a_returned_debit_is_collected_again_and_a_returned_payout_paid_once_more(
    temporal_client, session_factory, task_queue, tmp_path
):
    files = await _settled_october(temporal_client, session_factory, task_queue, tmp_path)
    iban, shell_number, shell_cents = _world(session_factory)
    debit, = from_payment_file(files["collections-2026-10-pain.008.xml"].read_bytes(),
                               prefix="DD")
    transfers = from_payment_file(files["payouts-2026-10-pain.001.xml"].read_bytes(),
                                  prefix="CT")
    volt = next(t for t in transfers if t.cents == -945)
    returned = [Booked("RT-1", -debit.cents, debit.end_to_end_id, debit.reference,
                       debit.counterparty, "MD06"),
                Booked("RT-2", -volt.cents, volt.end_to_end_id, volt.reference,
                       volt.counterparty, "AC04")]
    provider = SepaFilesProvider(session_factory=session_factory, out_dir=tmp_path / "out")
    first = provider.import_statement(camt053("STMT-1", iban, [debit, *transfers, *returned]))
    assert sorted(first.returned) == sorted([debit.end_to_end_id, volt.end_to_end_id])
    assert _open_accounts(session_factory) == {"receivable:org:1": 4188,
                                               "receivable:emsp:1": shell_cents,
                                               "payable:partner:1": -945}
    with session_factory() as s:
        flow = s.get(InvoiceCollection, debit.end_to_end_id)
        assert (flow.status, flow.failures, flow.last_reason) == ("failed", 1, "returned MD06")
        due = max(c.due_date for c in s.scalars(select(InvoiceCollection)))
        overview = period_overview(s, "2026-10", today=due + timedelta(days=1))
    # Bounced: Acme's returned debit and VoltPartners' returned transfer.
    assert overview.bounced_cents == 4188 + 945
    assert overview.overdue_cents == overview.outstanding_cents == 4188 + shell_cents

    # The dunning retry: a new pain.008 with the same end-to-end id.
    retry = provider.collect(CollectionRequest(debit.end_to_end_id, 4188, "Invoice again",
                                               "organization:1", attempt=2))
    retry_file = tmp_path / "out" / f"collection-{retry.id}-attempt-2-pain.008.xml"
    again, = from_payment_file(retry_file.read_bytes(), prefix="DD2")
    # The payee corrects nothing here; finance retries the failed payout only.
    path, keys = provider.retry_payouts(period="2026-10", execution_date=date(2026, 11, 20))
    assert len(keys) == 1 and keys[0].endswith(":2")
    repaid = from_payment_file(path.read_bytes(), prefix="CT2")
    assert [t.cents for t in repaid] == [-945]
    assert provider.retry_payouts(period="2026-10", execution_date=date(2026, 11, 20)) == (
        None, [])  # sent, not failed: never paid twice
    shell = Booked("TR-1", shell_cents, None, f"{shell_number}", "ShellRecharge")
    provider.import_statement(camt053("STMT-2", iban, [again, *repaid, shell]))
    assert _open_accounts(session_factory) == {}
    with session_factory() as s:
        assert s.get(InvoiceCollection, debit.end_to_end_id).status == "paid"
        assert sum(trial_balance(s).values()) == 0
