"""October 2026 of the SCENARIOS world, end to end on the real Temporal dev
server (SQLite and PostgreSQL): the sessions S1–S5 through the real session
workflow, then the monthly settlement workflow: documents with gap-free numbers,
PDFs that print every figure of SCENARIOS.md, the settlement and SEPA files, a
reconciliation of 49.94 in = 23.27 out + 26.67 kept with 5.60 VAT payable,
finance's approval, payouts released, period settled, Acme's direct debit
followed by its collection workflow. Re-running any step afterwards changes
nothing."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from temporalio.service import RPCError
from temporalio.worker import Replayer

from activities.payment_messages import collection_workflow_id
from activities.settlement_activities import SettlementActivities
from activities.settlement_messages import (
    Approval,
    RenderInput,
    SettlementConfig,
    SettlementInput,
    StepInput,
)
from db.base import transaction
from db.demo import load_demo_data
from db.documents import period_documents
from db.installation import installation_id
from db.ledger import trial_balance
from db.models import (
    ChargingPoint,
    IssuedDocumentRow,
    JournalEntryRow,
    PeriodSession,
    SettlementPeriod,
)
from db.settlement_periods import reconcile_period
from domain.documents import DocumentKind
from energycloud.demo_october import DemoSession, drive_october_sessions
from settlement.payments.sepa_files import SepaFilesProvider
from tests.payments.helpers import progress_until
from tests.settlement.helpers import wait_for_step
from tests.workflows.helpers import session_worker
from workflows.invoice_collection import InvoiceCollectionWorkflow
from workflows.monthly_settlement import MonthlySettlementWorkflow

pytestmark = pytest.mark.temporal

FAST = SettlementConfig(reminder_after_s=3600, reminder_every_s=3600, activity_timeout_s=60)

# What each PDF must print (nl_NL), by recipient and kind.
FIGURES = {
    ("invoice", "Acme Logistics B.V."): ["€ 12,50", "€ 5,39", "€ 30,39", "€ 6,38", "€ 5,11",
                                         "€ 41,88"],
    ("roaming_invoice", "ShellRecharge"): ["€ 9,71", "€ 4,73", "€ 14,44", "€ 3,03", "€ 17,47"],
    ("payout_statement", "Jan de Vries"): ["18,250 kWh", "€ 5,11"],
    ("payout_statement", "Acme Logistics B.V."): ["€ 7,20", "€ 3,15", "€ 10,35", "€ 2,17",
                                                  "€ 12,52"],
    ("profit_share_statement", "VoltPartners"): ["€ 1,73", "€ 6,08", "€ 7,81",
                                                 "€ 1,64", "€ 9,45"],
}


def pdf_text(path: str) -> str:
    reader = PdfReader(io.BytesIO(Path(path).read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def _counts(factory) -> tuple[int, int]:
    with factory() as s:
        return (s.scalar(select(func.count()).select_from(JournalEntryRow)),
                s.scalar(select(func.count()).select_from(IssuedDocumentRow)))


async def _end_collection_left_by_another_test(client, number: str) -> None:
    """Collection workflow ids are the invoice numbers' (`collection:<number>`), so a
    test that approved October before on this Temporal server left one running."""
    try:
        await client.get_workflow_handle(collection_workflow_id(number)).terminate()
    except RPCError:
        pass  # none running


async def test_october_settles_end_to_end_to_the_cent(
    temporal_client, session_factory, task_queue, tmp_path
):
    load_demo_data(session_factory, password="pw")
    sepa = SepaFilesProvider(session_factory=session_factory, out_dir=tmp_path / "payments")
    async with session_worker(temporal_client, session_factory, task_queue,
                              providers={"sepa": sepa}):
        assert await drive_october_sessions(temporal_client, session_factory,
                                            task_queue=task_queue,
                                            prefix=f"{task_queue[-12:]}-") == 5
        handle = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run,
            SettlementInput("2026-10", str(tmp_path), FAST),
            id=f"settlement:2026-10:{task_queue}", task_queue=task_queue,
        )
        progress = await wait_for_step(handle, "awaiting_approval")
        assert progress.blocked is None, progress.blocked
        assert progress.done == ("export", "compute", "issue", "render", "files", "reconcile")

        with session_factory() as s:
            docs = period_documents(s, "2026-10")
            rows = s.scalars(select(IssuedDocumentRow).order_by(IssuedDocumentRow.id)).all()
            result = reconcile_period(s, "2026-10")
            state = s.scalar(select(SettlementPeriod.state))
        assert state == "awaiting_approval"
        assert len(docs) == 5
        for row in rows:
            text = pdf_text(row.pdf_path)
            assert row.number in text
            for figure in FIGURES[(row.kind, row.recipient_name)]:
                assert figure in text, f"{figure} missing from {row.number} ({row.kind})"
            assert hashlib.sha256(Path(row.pdf_path).read_bytes()).hexdigest() == row.pdf_sha256
        assert sorted(r.number for r in rows if r.series == "INV") == [
            "INV-2026-000001", "INV-2026-000002"]
        assert sorted(r.number for r in rows if r.series == "SB") == [
            "SB-2026-000001", "SB-2026-000002", "SB-2026-000003"]

        assert result.ok, result.describe()
        assert (result.in_cents, result.out_cents, result.kept_cents) == (4994, 2327, 2667)
        assert result.vat_payable_cents == 560
        assert ("in EUR 49.94 = out EUR 23.27 + kept EUR 26.67 (excl. VAT); VAT collected "
                "EUR 9.41, on self-billing EUR 3.81, payable EUR 5.60") in progress.reconciliation

        files = {Path(f).name: Path(f) for f in progress.files}
        pain001 = files["payouts-2026-10-pain.001.xml"].read_text()
        for amount in ("5.11", "12.52", "9.45"):
            assert f">{amount}<" in pain001
        pain008 = files["collections-2026-10-pain.008.xml"].read_text()
        assert ">41.88<" in pain008 and "ACME-2026-001" in pain008
        # Collected on the date the invoice announces ("on or after" its due date).
        with session_factory() as s:
            [invoice] = [d for d in period_documents(s, "2026-10")
                         if d.document.kind is DocumentKind.INVOICE]
        assert invoice.document.recipient.sepa_mandate_id == "ACME-2026-001"
        assert f"<ReqdColltnDt>{invoice.due_date.isoformat()}</ReqdColltnDt>" in pain008
        assert "SEPA-incasso" in pdf_text(_pdf(session_factory, invoice.number))
        assert any(name.endswith(".csv") for name in files)
        assert any(name.endswith(".parquet") for name in files)

        before = _counts(session_factory)
        await _end_collection_left_by_another_test(temporal_client, "INV-2026-000001")
        await handle.signal(MonthlySettlementWorkflow.approve,
                            Approval("finance@energycloud.example", "2026-11-02T09:00:00+00:00"))
        settled = await asyncio.wait_for(handle.result(), timeout=60)

        # Acme pays by direct debit: its collection follows the period's pain.008
        # (attempt 1); ShellRecharge (an eMSP) pays by transfer, not followed.
        acme = next(d.number for d in settled.documents if d.total_cents == 4188)
        after = await handle.query(MonthlySettlementWorkflow.progress)
        assert after.collections == (acme,) and after.collections_waiting == ()
        assert "collect" in after.done
        collection = temporal_client.get_workflow_handle_for(
            InvoiceCollectionWorkflow.run, collection_workflow_id(acme))
        try:
            following = await progress_until(collection,
                                             lambda p: p["payment"] == f"{acme}/1")
            assert following["state"] == "collecting"
        finally:  # the id is the invoice number's: another run in this server reuses it
            await collection.terminate()
        # The new path (collections started) replays too.
        await Replayer(workflows=[MonthlySettlementWorkflow]).replay_workflow(
            await handle.fetch_history())

    assert settled.state == "settled"
    assert settled.approved_by == "finance@energycloud.example"
    assert [d.total_cents for d in settled.documents] == [4188, 1747, 1252, 511, 945]
    with session_factory() as s:
        period = s.scalar(select(SettlementPeriod))
        balances = trial_balance(s)
    assert period.state == "settled" and period.payouts_released_at is not None
    # Released: 3 payouts and Acme's direct debit; the payees are paid out.
    assert _counts(session_factory) == (before[0] + 4, before[1])
    assert balances["cash:bank"] == 4188 - (1252 + 511 + 945)
    assert balances["payable:org:2"] == 0  # Jan
    assert sum(balances.values()) == 0

    # Re-running any step changes nothing: no number, no document, no posting.
    acts = SettlementActivities(session_factory)
    step = StepInput("2026-10", str(tmp_path), 1)
    issued = acts.issue_documents(step)
    acts.render_documents(RenderInput("2026-10", str(tmp_path), issued.numbers))
    assert acts.reconcile_period(step).ok
    assert _counts(session_factory) == (before[0] + 4, before[1])
    assert issued.numbers == tuple(d.number for d in settled.documents)


NOVEMBER_2026 = (
    # S6 ended 30 October but reaches the platform after October was settled.
    DemoSession("S6", "ACME-DEPOT-01", "NL-TNM-C00122045-K", 20_000, "2026-10-30T22:10"),
    DemoSession("S7", "ACME-HOME-001", "ACME-JAN-01", 30_000, "2026-11-10T21:00"),
    DemoSession("S8", "ACME-DEPOT-03", "NL-NUO-C12345678-X", 15_500, "2026-11-18T12:00"),
    DemoSession("S9", "ACME-DEPOT-02", "NL-TNM-C00122045-K", 8_000, "2026-11-12T12:00"),
)
NOVEMBER_TOTALS = [
    ("invoice", "Acme Logistics B.V.", 5079), ("roaming_invoice", "ShellRecharge", 1422),
    ("roaming_invoice", "Vattenfall InCharge", 774),
    ("payout_statement", "Acme Logistics B.V.", 1579), ("payout_statement", "Jan de Vries", 840),
    ("profit_share_statement", "VoltPartners", 1112),
]


def _november_world(factory) -> None:
    """SCENARIOS November: ACME-HOME-001 corrected to 18 October, ACME-DEPOT-03
    connected 16 November, ACME-DEPOT-02 removed 21 November; the demo's other
    customers stay out of it (not billable)."""
    ams = "2026-11-{}T08:00:00+01:00"
    with transaction(factory) as s:
        for cp in s.scalars(select(ChargingPoint)):
            if cp.ocpp_id == "ACME-HOME-001":
                cp.first_connected_at = datetime.fromisoformat("2026-10-18T08:00:00+02:00")
            elif cp.ocpp_id == "ACME-DEPOT-03":
                cp.state, cp.first_connected_at = "offline", datetime.fromisoformat(ams.format(16))
            elif cp.ocpp_id == "ACME-DEPOT-02":
                cp.billing_ended_at = datetime.fromisoformat(ams.format(21))
            elif not cp.ocpp_id.startswith("ACME-"):
                cp.first_connected_at = None


async def test_november_takes_the_late_session_as_a_late_item_and_reconciles(
    temporal_client, session_factory, task_queue, tmp_path
):
    load_demo_data(session_factory, password="pw")
    prefix = f"{task_queue[-12:]}-"
    async with session_worker(temporal_client, session_factory, task_queue):
        await drive_october_sessions(temporal_client, session_factory, task_queue=task_queue,
                                     prefix=prefix)
        october = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run, SettlementInput("2026-10", str(tmp_path), FAST),
            id=f"settlement:2026-10:{task_queue}", task_queue=task_queue)
        await wait_for_step(october, "awaiting_approval")
        await october.signal(MonthlySettlementWorkflow.approve,
                             Approval("finance@energycloud.example", "2026-11-02T09:00:00+00:00"))
        await october.result()

        _november_world(session_factory)
        # The correction of October: a supplementary run issues its credit notes.
        supplementary = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run,
            SettlementInput("2026-10", str(tmp_path), FAST, supplementary=1),
            id=f"settlement:2026-10:supplementary-1:{task_queue}", task_queue=task_queue)
        await wait_for_step(supplementary, "awaiting_approval")
        await supplementary.signal(MonthlySettlementWorkflow.approve, Approval(
            "finance@energycloud.example", "2026-11-05T09:00:00+00:00"))
        await supplementary.result()
        await drive_october_sessions(temporal_client, session_factory, task_queue=task_queue,
                                     prefix=prefix, sessions=NOVEMBER_2026)
        november = await temporal_client.start_workflow(
            MonthlySettlementWorkflow.run, SettlementInput("2026-11", str(tmp_path), FAST),
            id=f"settlement:2026-11:{task_queue}", task_queue=task_queue)
        progress = await wait_for_step(november, "awaiting_approval")
        assert progress.blocked is None, progress.blocked
        await november.terminate("test over")
    # Money that moves in November: October's credit notes netted within each flow.
    files = {Path(f).name: Path(f).read_text() for f in progress.files if f.endswith(".xml")}
    debits = files["collections-2026-11-pain.008.xml"]
    assert ">48.61<" in debits and "CN-2026-000001" in debits
    transfers = files["payouts-2026-11-pain.001.xml"]
    for amount in ("8.40", "15.79", "10.68"):
        assert f">{amount}<" in transfers

    with session_factory() as s:
        docs = period_documents(s, "2026-11")
        result = reconcile_period(s, "2026-11")
        late = s.scalars(select(PeriodSession.workflow_id).where(PeriodSession.late)).all()
        installation = installation_id(s)
        october_docs = len(period_documents(s, "2026-10"))
    assert [(d.document.kind.value, d.document.recipient.name, d.document.total_cents)
            for d in docs] == NOVEMBER_TOTALS
    assert late == [f"session:{installation}:ACME-DEPOT-01:{prefix}S6"]
    [shell] = [d for d in docs if d.document.recipient.name == "ShellRecharge"]
    [s6] = [line for line in shell.document.lines if line.late]
    assert (s6.amount_cents, s6.occurred_on.isoformat()) == (815, "2026-10-30")
    assert "30-10-2026" in pdf_text(_pdf(session_factory, shell.number))
    assert result.ok, result.describe()
    assert (result.in_cents, result.out_cents, result.kept_cents) == (6158, 3064, 3094)
    assert result.vat_payable_cents == 650
    assert october_docs == 7  # October's five as they were, and two credit notes


def _pdf(factory, number: str) -> str:
    with factory() as s:
        return s.scalar(
            select(IssuedDocumentRow.pdf_path).where(IssuedDocumentRow.number == number)
        )
