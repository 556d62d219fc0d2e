"""The outbox commands: what was mailed or did not arrive (`outbox`), and
sending a document again (`resend`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from energycloud.commands.common import exit_after_temporal, load_settings


def outbox(
    show: Annotated[int | None, typer.Option(help="Print message number N.")] = None,
    undeliverable: Annotated[bool, typer.Option(
        "--undeliverable", help="Documents that did not reach their recipient.")] = False,
    period: Annotated[str | None, typer.Option(help="With --undeliverable: one month.")] = None,
) -> None:
    """What was mailed to the outbox (OUTBOX_DIR), or what finance must look at."""
    from rich.console import Console

    from energycloud.mail_cli import show_outbox, show_undeliverable

    try:
        code = (show_undeliverable(load_settings(), Console(), period=period) if undeliverable
                else show_outbox(load_settings(), Console(), show=show))
    except LookupError as exc:
        raise typer.BadParameter(str(exc), param_hint="--show") from exc
    raise typer.Exit(code)


def resend(
    document: Annotated[str, typer.Option(help="The document number, e.g. INV-2026-000001.")],
    by: Annotated[str, typer.Option(help="Who asks for it (recorded), an e-mail address.")],
    timeout_s: Annotated[float, typer.Option("--timeout", min=1)] = 120.0,
) -> None:
    """Send a document again, to its recipient's current billing e-mail (recorded)."""
    from rich.console import Console

    from energycloud.mail_cli import resend as run_resend

    try:
        code = asyncio.run(run_resend(load_settings(), Console(), number=document, by=by,
                                      timeout_s=timeout_s))
    except (LookupError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    exit_after_temporal(code)
