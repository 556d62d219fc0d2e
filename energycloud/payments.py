"""The payment commands (`energycloud bank-import FILE`, `energycloud
payments --period`) and the payment providers built from settings: the only
place that reads the Mollie key and base URL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from db.base import make_engine, make_sessionmaker
from energycloud.settings import Settings

__all__ = ["collect", "import_statement_file", "payment_providers", "show_overview"]


def payment_providers(settings: Settings, session_factory) -> dict:
    """`sepa` (always, when there is a database) and `mollie` (with a key)."""
    providers: dict = {}
    if session_factory is not None:
        from settlement.payments.sepa_files import SepaFilesProvider

        providers["sepa"] = SepaFilesProvider(session_factory=session_factory,
                                              out_dir=settings.settlement_path / "payments")
    if settings.mollie_api_key:
        from settlement.payments.mollie import MollieProvider

        providers["mollie"] = MollieProvider(
            api_key=settings.mollie_api_key, api_endpoint=settings.mollie_api_base_url,
            timeout_s=settings.mollie_timeout_s, webhook_url=settings.mollie_webhook_url)
    return providers


def _euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}€ {abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def import_statement_file(settings: Settings, file: str, *, console: Console) -> int:
    from settlement.payments.camt053 import InvalidStatement

    engine = make_engine(settings.database_url)
    try:
        factory = make_sessionmaker(engine)
        provider = payment_providers(settings, factory)["sepa"]
        try:
            result = provider.import_statement(Path(file).read_bytes())
        except (OSError, InvalidStatement) as exc:
            console.print(f"[red]{file} cannot be imported: {exc}[/red]")
            return 2
        if result.matched or result.returned:
            _tell_collections(settings, factory, result, console)
    finally:
        engine.dispose()
    console.print(f"Statement {result.statement_id}: {result.lines} lines, {result.new_lines} "
                  f"new, {len(result.matched)} matched, {len(result.returned)} returned, "
                  f"{result.entries} ledger entries posted.")
    for number in result.returned:
        console.print(f"[yellow]returned:[/yellow] {number}")
    if result.unmatched:
        table = Table(title="Not matched: for finance to resolve")
        for column in ("entry", "booked", "amount", "counterparty", "reference"):
            table.add_column(column)
        for line in result.unmatched:
            table.add_row(line.entry_ref, line.booking_date.isoformat(),
                          _euro(line.amount_cents), line.counterparty, line.reference)
        console.print(table)
        return 1
    return 0


def _tell_collections(settings: Settings, factory, result, console: Console) -> None:
    """The direct-debit collection workflows learn what the statement said (their
    dunning continues); the import itself stands without Temporal."""
    import asyncio

    from energycloud.collections import signal_statement
    from workflows.temporal_client import connect_temporal

    async def tell() -> int:
        client = await connect_temporal(settings.temporal_address, settings.temporal_namespace,
                                        wait_s=0)
        return await signal_statement(client, factory, result)

    try:
        told = asyncio.run(tell())
    except Exception as exc:  # noqa: BLE001  (Temporal down: the import is done anyway)
        console.print(f"[yellow]Collections not told (Temporal: {exc}); import again later "
                      "to tell them.[/yellow]")
        return
    if told:
        console.print(f"{told} direct-debit collection(s) told what the bank said.")


def collect(settings: Settings, period: str, *, console: Console) -> int:
    """Start the period's collection workflows (Mollie and direct debit)."""
    import asyncio

    from energycloud.collections import start_collections
    from workflows.temporal_client import connect_temporal

    engine = make_engine(settings.database_url)

    async def run() -> list[str]:
        client = await connect_temporal(settings.temporal_address, settings.temporal_namespace)
        return await start_collections(client, make_sessionmaker(engine), period=period,
                                       task_queue=settings.task_queue)

    try:
        started = asyncio.run(run())
    finally:
        engine.dispose()
    console.print(f"{len(started)} collection workflow(s) started for {period}: "
                  f"{', '.join(started) or 'none new'}")
    return 0


def show_overview(settings: Settings, period: str, *, console: Console,
                  today: date | None = None) -> int:
    from db.payment_overview import period_overview

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            view = period_overview(session, period, today=today or date.today())
    finally:
        engine.dispose()
    totals = Table(title=f"Payments of {period}")
    for column in ("collected", "outstanding", "overdue", "paid out", "payouts pending",
                   "bounced"):
        totals.add_column(column, justify="right")
    totals.add_row(*(_euro(c) for c in (view.collected_cents, view.outstanding_cents,
                                        view.overdue_cents, view.paid_out_cents,
                                        view.payouts_pending_cents, view.bounced_cents)))
    console.print(totals)
    flows = Table(title="Flows")
    for column in ("", "number", "party", "method", "amount", "status", "due", "note"):
        flows.add_column(column)
    for line in view.lines:
        flows.add_row("in" if line.direction == "in" else "out", line.number, line.party,
                      line.method, _euro(line.amount_cents), line.status,
                      line.due_date.isoformat() if line.due_date else "", line.note)
    console.print(flows)
    if not view.lines:
        console.print(f"No payments recorded for {period} yet (is it settled and approved?).")
    return 0
