"""The `energycloud` command: run the whole platform or one of its processes.

energycloud up            # everything on one machine (SQLite, Temporal dev server)
energycloud cluster --ingest-nodes 2 --workers 2   # the production shape as processes
energycloud migrate       # Alembic upgrade head on DATABASE_URL
energycloud worker | ingest | api     # one process each, for production
energycloud settle --period 2026-10   # monthly settlement (then: energycloud approve)

This module holds the command group and its global options; the commands live
in energycloud/commands/ and are registered below, one line each, in the order
`energycloud --help` lists them.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from energycloud import cluster
from energycloud.commands import finance, outbox, servers, simulate
from energycloud.logging import setup_logging
from energycloud.settings import get_settings

app = typer.Typer(
    name="energycloud",
    help="Energy Cloud: charge point management, billing and settlement for EV charging.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # docstrings are reflowed paragraphs, not hard-wrapped lines
    # A traceback with local variables would print settings (secrets) to the terminal.
    pretty_exceptions_show_locals=False,
)


class LogLevel(enum.StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.callback()
def main(
    ctx: typer.Context,
    log_level: Annotated[
        LogLevel,
        typer.Option("--log-level", envvar="LOG_LEVEL", case_sensitive=False, help="Log level."),
    ] = LogLevel.info,
) -> None:
    """Settings come from the environment (DATABASE_URL, TEMPORAL_ADDRESS, API_PORT, …)
    and an optional .env file."""
    setup_logging(log_level.value)
    get_settings.cache_clear()  # read the environment of this invocation
    ctx.obj = log_level.value


app.command()(servers.up)
app.command("cluster")(cluster.cluster_command)
app.command()(servers.migrate)
app.command("demo-data")(servers.demo_data)
app.command("worker")(servers.worker_command)
app.command("ingest")(servers.ingest_command)
app.command("api")(servers.api_command)
app.command()(finance.settle)
app.command("bank-import")(finance.bank_import)
app.command()(finance.collect)
app.command()(finance.payments)
app.command()(finance.approve)
app.command()(outbox.outbox)
app.command()(outbox.resend)
app.command()(simulate.simulate)


if __name__ == "__main__":
    app()
