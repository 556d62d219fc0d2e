"""Finance's commands on a month: settle it, approve or reject it, import the
bank statement, start the collections and see what was paid."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from energycloud.commands.common import exit_after_temporal, load_settings, period_option


def settle(
    period: Annotated[str, typer.Option(help="The month to settle, YYYY-MM (e.g. 2026-10).")],
    timeout_s: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the steps.")
    ] = 600.0,
    supplementary: Annotated[
        int, typer.Option(min=0, help="Correct a settled period: the n-th supplementary run.")
    ] = 0,
) -> None:
    """Settle a month: export, compute, issue, render, files, reconcile, then wait
    for finance. Starts the period's workflow or attaches to it; prints the
    documents with their totals and where the PDFs and files are."""
    from rich.console import Console

    from energycloud.settle import settle as run_settle

    period = period_option(period)
    code = asyncio.run(run_settle(load_settings(), period, timeout_s=timeout_s, console=Console(),
                                  supplementary=supplementary))
    exit_after_temporal(code)


def bank_import(
    file: Annotated[str, typer.Argument(help="The bank's camt.053 statement (XML).")],
) -> None:
    """Import a camt.053 bank statement: match its lines to collections and
    payouts, post the ledger, and list what matches nothing for finance."""
    from rich.console import Console

    from energycloud.payments import import_statement_file

    exit_after_temporal(import_statement_file(load_settings(), file, console=Console()))


def collect(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM (e.g. 2026-10).")],
) -> None:
    """Start the collection workflows of a settled, approved period that are not
    running yet: Mollie payments and direct debits, with the dunning policy when
    they fail. The approval starts them itself; this is for the flows that waited
    for a provider (a worker without MOLLIE_API_KEY) or a collection to restart."""
    from rich.console import Console

    from energycloud.payments import collect as run_collect

    period = period_option(period)
    exit_after_temporal(run_collect(load_settings(), period, console=Console()))


def payments(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM (e.g. 2026-10).")],
) -> None:
    """What a period collected, what is outstanding and overdue, what was paid
    out and what bounced."""
    from rich.console import Console

    from energycloud.payments import show_overview

    period = period_option(period)
    raise typer.Exit(show_overview(load_settings(), period, console=Console()))


def approve(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    by: Annotated[str, typer.Option(help="Who decides (e.g. finance@energycloud.example).")],
    reject: Annotated[bool, typer.Option("--reject", help="Send it back instead.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why it is rejected.")] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", min=1)] = 120.0,
    supplementary: Annotated[
        int, typer.Option(min=0, help="Decide on this supplementary run.")
    ] = 0,
) -> None:
    """Finance's decision on a settled-and-waiting period: approve it (payouts are
    released and the period settled) or reject it with a reason (a new run)."""
    from rich.console import Console

    from energycloud.settle import decide

    period = period_option(period)
    if reject and not (reason or "").strip():
        raise typer.BadParameter("a rejection needs --reason", param_hint="--reason")
    code = asyncio.run(decide(load_settings(), period, by=by,
                              reject_reason=reason if reject else None,
                              timeout_s=timeout_s, console=Console(),
                              supplementary=supplementary))
    exit_after_temporal(code)
