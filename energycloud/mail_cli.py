"""`energycloud outbox` and `energycloud resend`: what the platform sent (or
would have sent, with the embedded outbox), what finance must look at, and an
explicit, recorded resend of one document."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from db.base import make_engine, make_sessionmaker, transaction
from db.mail_deliveries import request_resend, undeliverable
from energycloud.settings import Settings
from mail.outbox import list_outbox, message_path, read_message


def show_outbox(settings: Settings, console: Console, *, show: int | None) -> int:
    directory = settings.outbox_path
    if show is not None:
        msg = read_message(message_path(directory, show))
        for header in ("Date", "From", "Reply-To", "To", "Subject", "Message-ID"):
            if msg[header]:
                console.print(f"[bold]{header}:[/bold] {msg[header]}", soft_wrap=True)
        attachments = [p.get_filename() for p in msg.iter_attachments()]
        if attachments:
            console.print(f"[bold]Attachments:[/bold] {', '.join(attachments)}")
        console.print()
        console.print(msg.get_body(preferencelist=("plain",)).get_content(), markup=False)
        return 0
    entries = list_outbox(directory)
    table = Table(title=f"Outbox {directory} ({len(entries)} messages)")
    for name in ("#", "Date", "From", "To", "Subject", "Attachments"):
        table.add_column(name, overflow="fold")
    for e in entries:
        table.add_row(str(e.index), e.date, e.sender, e.to, e.subject, ", ".join(e.attachments))
    console.print(table)
    if entries:
        console.print("energycloud outbox --show N prints one message.")
    return 0


def show_undeliverable(settings: Settings, console: Console, *, period: str | None) -> int:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = undeliverable(session, period=period)
            data = [(r.document_number, r.recipient_name, r.to_address or "—", r.status,
                     str(r.attempts), r.last_error or "") for r in rows]
    finally:
        engine.dispose()
    table = Table(title=f"Documents that did not reach their recipient ({len(data)})")
    for name in ("Document", "Recipient", "Address", "Status", "Attempts", "Why"):
        table.add_column(name, overflow="fold")
    for row in data:
        table.add_row(*row)
    console.print(table)
    if data:
        console.print("Fix the billing e-mail, then: energycloud resend --document NUMBER "
                      "--by YOUR-EMAIL")
    return 0


async def resend(settings: Settings, console: Console, *, number: str, by: str,
                 timeout_s: float) -> int:
    """Record the resend (who, when), then send it through the worker's delivery
    activity in a small workflow, so it gets the same retries and idempotency."""
    from workflows.document_delivery import DocumentDeliveryWorkflow
    from workflows.temporal_client import connect_temporal

    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            row = request_resend(session, number=number, by=by, at=datetime.now(UTC))
            key, status, why = row.key, row.status, row.last_error
    finally:
        engine.dispose()
    if status == "no_address":
        console.print(f"[red]{number}: {why}[/red]")
        return 1
    client = await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                    wait_s=10)
    outcome = await asyncio.wait_for(client.execute_workflow(
        DocumentDeliveryWorkflow.run, key, id=f"delivery:{key}",
        task_queue=settings.task_queue), timeout=timeout_s)
    console.print(f"{key}: {outcome.status} {outcome.detail}", soft_wrap=True)
    return 0 if outcome.status == "sent" else 1
