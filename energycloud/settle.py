"""`energycloud settle` and `energycloud approve`: start (or attach to) a
period's settlement workflow and follow it with a progress bar; give finance's
decision to it. The workflow does the work; this only talks to Temporal and
reads the issued documents for the summary table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.settlement_messages import (
    STEPS,
    Approval,
    Rejection,
    SettlementInput,
    SettlementProgress,
    settlement_workflow_id,
)
from db.base import make_engine, make_sessionmaker
from db.mail_deliveries import undeliverable
from db.models.documents import IssuedDocumentRow, SettlementPeriod
from domain.money import format_cents
from energycloud.settings import Settings
from workflows.monthly_settlement import MonthlySettlementWorkflow
from workflows.temporal_client import connect_temporal

EXIT_OK, EXIT_BLOCKED, EXIT_TIMEOUT = 0, 1, 2
WAITING = ("awaiting_approval", "payouts_released", "settled")
POLL_S = 0.5


async def settle(
    settings: Settings, period: str, *, timeout_s: float, console: Console, supplementary: int = 0
) -> int:
    client = await connect_temporal(
        settings.temporal_address, settings.temporal_namespace, wait_s=10
    )
    workflow_id = settlement_workflow_id(period, supplementary)
    try:
        handle = await client.start_workflow(
            MonthlySettlementWorkflow.run,
            SettlementInput(period=period, work_dir=str(settings.settlement_path),
                            supplementary=supplementary),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        console.print(f"Settlement of {period}: workflow [bold]{workflow_id}[/bold]")
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle(workflow_id)
        console.print(f"Settlement of {period} already ran: workflow {workflow_id}")
    progress = await _follow(handle, timeout_s, console)
    if progress is None:
        console.print(
            f"[red]No progress within {timeout_s:.0f} s: is a worker running on task queue "
            f"{settings.task_queue!r} (`energycloud up` or `energycloud worker`)?[/red]"
        )
        return EXIT_TIMEOUT
    _summary(settings, period, progress, console)
    if progress.blocked:
        console.print(f"[red]Approval is blocked:[/red] {progress.blocked}")
        return EXIT_BLOCKED
    return EXIT_OK


async def _follow(handle, timeout_s: float, console: Console) -> SettlementProgress | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    columns = (TextColumn("{task.description:<10}"), BarColumn(), TextColumn("{task.fields[note]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks = {step: bar.add_task(step, total=1, note="") for step in STEPS}
        while loop.time() < deadline:
            state = await _progress(handle)
            if state is not None:
                for step in STEPS:
                    done = step in state.done or state.step in WAITING
                    running = state.step == step
                    bar.update(tasks[step], completed=1 if done else 0,
                               note="done" if done else ("running" if running else ""))
                if state.step in WAITING:
                    return state
            else:
                status = (await handle.describe()).status
                if status not in (None, WorkflowExecutionStatus.RUNNING,
                                  WorkflowExecutionStatus.COMPLETED):
                    return SettlementProgress(
                        period="", step=status.name.lower(), done=(), run=0,
                        blocked=f"the settlement workflow is {status.name.lower()}; "
                        "the worker's log says why",
                    )
            await asyncio.sleep(POLL_S)
    return None


async def _progress(handle) -> SettlementProgress | None:
    try:
        return await handle.query(MonthlySettlementWorkflow.progress)
    except Exception:  # noqa: BLE001 - not picked up by a worker yet
        return None


def _summary(settings: Settings, period: str, progress: SettlementProgress, console) -> None:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(
                select(IssuedDocumentRow).where(IssuedDocumentRow.period == period)
                .order_by(IssuedDocumentRow.id)
            ).all()
            state = session.scalar(
                select(SettlementPeriod.state).where(SettlementPeriod.period == period)
            )
            unmailed = [f"{r.document_number} {r.recipient_name}: {r.status} "
                        f"({r.last_error or 'no detail'})"
                        for r in undeliverable(session, period=period)]
    finally:
        engine.dispose()
    table = Table(title=f"Documents of {period} (period {state})")
    for name, justify in (("Number", "left"), ("Kind", "left"), ("Recipient", "left"),
                          ("Net", "right"), ("VAT", "right"), ("Total", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
    table.add_column("PDF", overflow="fold")
    for row in rows:
        table.add_row(row.number, row.kind, row.recipient_name, format_cents(row.net_cents),
                      format_cents(row.vat_cents), format_cents(row.total_cents),
                      row.pdf_path or "")
    console.print(table)
    console.print(f"PDFs: {settings.settlement_path / 'pdf' / period}", soft_wrap=True)
    if progress.reconciliation:
        console.print(progress.reconciliation)
    for path in progress.files:
        console.print(f"file: {path}", soft_wrap=True)
    for line in unmailed:  # for finance: fix the address, then energycloud resend
        console.print(f"[red]not mailed: {line}[/red]", soft_wrap=True)
    if state == "awaiting_approval" and not progress.blocked:
        console.print(f"Waiting for finance: energycloud approve --period {period} --by <email>")


def _collections(progress: SettlementProgress, console) -> None:
    console.print(f"Collections started: {len(progress.collections)}"
                  + (f" ({', '.join(progress.collections)})" if progress.collections else ""),
                  soft_wrap=True)
    for line in progress.collections_waiting:
        console.print(f"[yellow]waiting for its provider: {line}[/yellow]", soft_wrap=True)
    if progress.collections_waiting:
        console.print("energycloud collect --period <period> starts them on a worker that has"
                      " the provider (e.g. MOLLIE_API_KEY set).")


def _deliveries(settings: Settings, progress: SettlementProgress, console) -> None:
    sent = [d for d in progress.deliveries if d.endswith(" sent")]
    console.print(f"Documents mailed: {len(sent)} of {len(progress.deliveries)}"
                  + (f" (outbox: {settings.outbox_path})"
                     if settings.mail_transport == "outbox" else ""), soft_wrap=True)
    for line in progress.deliveries:
        if not line.endswith(" sent"):
            console.print(f"[red]not delivered: {line}[/red]")
    for line in progress.undeliverable:
        console.print(f"[red]no address: {line}[/red]", soft_wrap=True)
    if len(sent) < len(progress.deliveries) or progress.undeliverable:
        console.print("energycloud outbox --undeliverable lists them for finance.")


async def decide(
    settings: Settings, period: str, *, by: str, reject_reason: str | None, timeout_s: float,
    console: Console, supplementary: int = 0,
) -> int:
    client: Client = await connect_temporal(
        settings.temporal_address, settings.temporal_namespace, wait_s=10
    )
    handle = client.get_workflow_handle(settlement_workflow_id(period, supplementary))
    before = await _progress(handle)
    if before is None:
        console.print(f"[red]No settlement workflow for {period}: run energycloud settle "
                      f"--period {period} first.[/red]")
        return EXIT_BLOCKED
    at = datetime.now(UTC).isoformat()
    if reject_reason is not None:
        await handle.signal(MonthlySettlementWorkflow.reject, Rejection(by, reject_reason, at))
        console.print(f"{period} sent back by {by}: {reject_reason}. A new run starts "
                      f"(energycloud settle --period {period} follows it).")
        return EXIT_OK
    await handle.signal(MonthlySettlementWorkflow.approve, Approval(by, at))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        desc = await handle.describe()
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            console.print(f"{period} approved by {by}: payouts released, period settled.")
            state = await _progress(handle)
            if state is not None:
                _collections(state, console)
                _deliveries(settings, state, console)
            return EXIT_OK
        state = await _progress(handle)
        if state is not None and state.refused and by in state.refused:
            console.print(f"[red]{state.refused}[/red]")
            return EXIT_BLOCKED
        await asyncio.sleep(POLL_S)
    console.print(f"[red]{period} did not settle within {timeout_s:.0f} s.[/red]")
    return EXIT_TIMEOUT
