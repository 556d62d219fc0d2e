"""Activities of the monthly settlement workflow: thin adapters between the
database, the settlement jobs (`settlement/`), the renderer (`invoices/`) and
the period's files under `<work_dir>/<period>/`.

Each one is idempotent per period, so a retry or a worker killed at any step
changes nothing the first attempt already did:

* export and compute write the same files again (per run: `run-<n>/`);
* issue returns already issued documents (no second number, no posting);
* render stores each PDF write-once and records its hash once;
* files are rewritten from the same documents; reconcile only reads;
* state changes move the period's state machine forward only.

They are synchronous (database, polars, WeasyPrint), so the worker runs them on
its thread pool.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.settlement_messages import (
    ComputeResult,
    DecisionInput,
    DocumentSummary,
    ExportResult,
    FilesResult,
    IssueResult,
    ReconcileResult,
    ReminderInput,
    RenderedPdf,
    RenderInput,
    RenderResult,
    SettlementResult,
    StepInput,
)
from db.base import transaction, utcnow
from db.document_codec import document_from_json, document_to_json
from db.documents import issue_documents, issued_document, period_documents, record_pdf
from db.models import PlatformSettings
from db.models.documents import IssuedDocumentRow
from db.settlement_periods import advance, get_period, reconcile_period, reject
from domain.documents import Direction
from domain.periods import parse_period
from domain.settlement_corrections import correction_documents

log = logging.getLogger(__name__)


def run_dir(step: StepInput) -> Path:
    """`<work_dir>/<period>/run-<n>`, or `…/supplementary-<s>/run-<n>`."""
    base = Path(step.work_dir) / step.period
    if step.supplementary:
        base = base / f"supplementary-{step.supplementary}"
    return base / f"run-{step.run}"


class SettlementActivities:
    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def all(self) -> list:
        return [
            self.export_period, self.compute_period, self.issue_documents,
            self.render_documents, self.write_files, self.reconcile_period,
            self.await_approval, self.remind_finance, self.reject_period,
            self.approve_period, self.release_payouts, self.settle_period,
        ]

    def _platform(self) -> PlatformSettings:
        with self.session_factory() as session:
            platform = session.scalar(select(PlatformSettings))
        if platform is None:
            raise ValueError("no platform settings: load the platform's data first")
        return platform

    @activity.defn(name="export_period")
    def export_period(self, step: StepInput) -> ExportResult:
        from settlement.export import export_period

        with self.session_factory() as session:
            _check_run_kind(session, step)  # before overwriting a settled run's files
        out = run_dir(step) / "export"
        manifest = export_period(self.session_factory, period=step.period, out_dir=out)
        late = manifest.rows.get("late_sessions", 0)
        activity.logger.info("exported %s: %d sessions to %s", step.period, manifest.sessions, out)
        return ExportResult(str(out), manifest.sessions, late)

    @activity.defn(name="compute_period")
    def compute_period(self, step: StepInput) -> ComputeResult:
        """Every document of the period; when documents are already issued (a run
        after a rejection, a supplementary run) only the difference, as credit
        notes and new documents."""
        from settlement.facts import load_facts
        from settlement.jobs import compute_period

        export_dir = run_dir(step) / "export"
        computed = compute_period(export_dir).documents
        facts = load_facts(export_dir)
        start, _ = parse_period(step.period).bounds_utc(facts.platform.time_zone)
        sessions = [(s.workflow_id, s.stopped_at < start) for s in facts.sessions]
        with transaction(self.session_factory) as session:
            _check_run_kind(session, step)
            issued = period_documents(session, step.period)
            to_issue = correction_documents(issued, computed) if issued else computed
            if not step.supplementary:
                advance(session, step.period, "computed",
                        workflow_id=activity.info().workflow_id)
        path = run_dir(step) / "documents.json"
        path.write_text(json.dumps({
            "documents": [document_to_json(d) for d in to_issue],
            "sessions": sessions,
        }, indent=1))
        return ComputeResult(str(path), len(to_issue))

    @activity.defn(name="issue_documents")
    def issue_documents(self, step: StepInput) -> IssueResult:
        data = json.loads((run_dir(step) / "documents.json").read_text())
        zone = ZoneInfo(self._platform().time_zone)
        issued = issue_documents(
            self.session_factory, period=step.period,
            documents=[document_from_json(d) for d in data["documents"]],
            issue_date=datetime.now(zone).date(),
            sessions=[(wf, bool(late)) for wf, late in data["sessions"]],
        )
        (run_dir(step) / "issued.json").write_text(json.dumps([d.number for d in issued]))
        with transaction(self.session_factory) as session:
            advance(session, step.period, "issued")
            numbers = tuple(d.number for d in period_documents(session, step.period))
        return IssueResult(numbers)

    @activity.defn(name="render_documents")
    def render_documents(self, data: RenderInput) -> RenderResult:
        from invoices.render import render_pdf
        from invoices.storage import store_pdf

        locale = self._platform().locale
        directory = Path(data.work_dir) / "pdf"
        rendered = []
        for number in data.numbers:
            with self.session_factory() as session:
                issued, path = issued_document(session, number)
            if path and issued.content_hash and Path(path).exists():
                rendered.append(RenderedPdf(number, path, issued.content_hash))
                continue  # rendered by an earlier attempt
            # In this worker's thread (WeasyPrint holds the GIL); parallel render
            # activities spread over the workers' processes when there are several.
            stored = store_pdf(directory, issued, render_pdf(issued, locale=locale))
            record_pdf(self.session_factory, number=number, path=str(stored.path),
                       sha256=stored.sha256)
            rendered.append(RenderedPdf(number, str(stored.path), stored.sha256))
            activity.heartbeat(number)
        return RenderResult(tuple(rendered))

    @activity.defn(name="write_files")
    def write_files(self, step: StepInput) -> FilesResult:
        from settlement.jobs import compute_period
        from settlement.payment_runs import carried_documents, write_payment_files
        from settlement.settlement_file import write_settlement_file

        out = run_dir(step) / "files"
        result = write_settlement_file(compute_period(run_dir(step) / "export"), out)
        files = [str(p) for _, p in sorted(result.paths.items())]
        with self.session_factory() as session:
            documents = period_documents(session, step.period)
            if step.supplementary:  # only this run's credit notes and new documents
                mine = set(json.loads((run_dir(step) / "issued.json").read_text()))
                documents = [d for d in documents if d.number in mine]
            else:  # and the credit notes of earlier supplementary runs, netted here
                documents += carried_documents(session, step.period)
            payees = [d for d in documents if d.document.direction is Direction.PAID_BY_PLATFORM]
            execution = max((d.due_date for d in payees if d.due_date), default=None)
            payments = write_payment_files(
                session, period=step.period, run=step.run, documents=documents, out_dir=out,
                execution_date=execution or utcnow().date() + timedelta(days=5),
            )
        files += [str(p) for p in payments.files]
        (out / "payments.json").write_text(json.dumps(
            {"paid": payments.paid, "collected": payments.collected}, indent=1))
        return FilesResult(tuple(files), payments.blocked)

    @activity.defn(name="reconcile_period")
    def reconcile_period(self, step: StepInput) -> ReconcileResult:
        with self.session_factory() as session:
            result = reconcile_period(session, step.period)
        if not result.ok:
            activity.logger.warning("%s", result.describe())
        return ReconcileResult(result.ok, result.describe(), result.in_cents, result.out_cents,
                               result.kept_cents, result.vat_payable_cents)

    @activity.defn(name="await_approval")
    def await_approval(self, data: ReminderInput) -> None:
        with transaction(self.session_factory) as session:
            row = advance(session, data.period, "awaiting_approval")
            row.blocked_reason = data.blocked

    @activity.defn(name="remind_finance")
    def remind_finance(self, data: ReminderInput) -> None:
        # The embedded platform has no mail server; the reminder is a log line
        # finance's log shipping alerts on (and the CLI shows the reminders).
        log.warning("settlement %s awaits finance approval (reminder %d)%s", data.period,
                    data.reminder, f"; blocked: {data.blocked}" if data.blocked else "")

    @activity.defn(name="reject_period")
    def reject_period(self, data: DecisionInput) -> None:
        with transaction(self.session_factory) as session:
            reject(session, data.period, by=data.by, reason=data.reason,
                   at=datetime.fromisoformat(data.at))

    @activity.defn(name="approve_period")
    def approve_period(self, data: DecisionInput) -> None:
        with transaction(self.session_factory) as session:
            advance(session, data.period, "approved", at=datetime.fromisoformat(data.at),
                    approved_by=data.by, blocked_reason=None)

    @activity.defn(name="release_payouts")
    def release_payouts(self, data: DecisionInput) -> None:
        """The approved payment files go to the bank (the documents in them, as
        the files step recorded), and the period's payouts are released."""
        from settlement.payment_runs import release_payments

        step = StepInput(data.period, data.work_dir, data.run, data.supplementary)
        payments = json.loads((run_dir(step) / "files" / "payments.json").read_text())
        with transaction(self.session_factory) as session:
            created = release_payments(session, paid=payments["paid"],
                                       collected=payments["collected"])
            advance(session, data.period, "payouts_released")
        activity.logger.info("%s: payouts released (%d entries)", data.period, created)

    @activity.defn(name="settle_period")
    def settle_period(self, data: DecisionInput) -> SettlementResult:
        with transaction(self.session_factory) as session:
            row = advance(session, data.period, "settled")
            docs = session.scalars(
                select(IssuedDocumentRow).where(IssuedDocumentRow.period == data.period)
                .order_by(IssuedDocumentRow.id)
            ).all()
            summaries = tuple(document_summary(d) for d in docs)
            state, by, runs = row.state, row.approved_by or data.by, row.runs
        return SettlementResult(data.period, state, by, summaries, (), runs)


def _check_run_kind(session, step: StepInput) -> None:
    """A settled period changes only by a supplementary run, and only a settled
    period has one (before that, finance rejects the period instead)."""
    row = get_period(session, step.period, create=False)
    settled = row is not None and row.state == "settled"
    if step.supplementary and not settled:
        raise ApplicationError(
            f"period {step.period} is not settled: correct it by rejecting it, not with a "
            "supplementary run", non_retryable=True)
    if not step.supplementary and settled:
        raise ApplicationError(
            f"period {step.period} is settled: corrections are credit notes in a supplementary "
            f"run (energycloud settle --period {step.period} --supplementary 1)",
            non_retryable=True)


def document_summary(row: IssuedDocumentRow) -> DocumentSummary:
    return DocumentSummary(row.number, row.kind, row.recipient_name, row.net_cents,
                           row.vat_cents, row.total_cents, row.pdf_path, row.corrects_number)


__all__ = ["SettlementActivities", "document_summary", "run_dir"]
