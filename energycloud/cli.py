"""The `energycloud` command: run the whole platform or one of its processes.

energycloud up            # everything on one machine (SQLite, Temporal dev server)
energycloud migrate       # Alembic upgrade head on DATABASE_URL
energycloud worker | ingest | api     # one process each, for production
energycloud settle --period 2026-10   # monthly settlement (then: energycloud approve)
"""

from __future__ import annotations

import asyncio
import enum
import importlib
import inspect
import logging
import os
import sys
from typing import Annotated, NoReturn

import typer

from energycloud.logging import setup_logging
from energycloud.settings import Settings, configure_libraries, get_settings, mail_config

log = logging.getLogger("energycloud")

app = typer.Typer(
    name="energycloud",
    help="Energy Cloud: charge point management, billing and settlement for EV charging.",
    no_args_is_help=True,
    add_completion=False,
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


def _settings() -> Settings:
    settings = get_settings()
    configure_libraries(settings)
    return settings


def _run(result) -> object:
    """Call sites of other packages may be sync or async; run either to completion."""
    if inspect.isawaitable(result):

        async def _await():
            return await result

        return asyncio.run(_await())
    return result


def _exit_skipping_finalization(code: int) -> NoReturn:
    """Leave a server process without interpreter finalization, during which the
    threads of Temporal's Rust bridge can abort CPython ("PyGILState_Release: thread
    state must be current", temporalio/sdk-python#300) after an otherwise clean stop.
    Only for the long-running server commands, never called in-process by tests."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@app.command()
def up(
    ctx: typer.Context,
    worker: Annotated[bool, typer.Option(help="Start the Temporal worker.")] = True,
    ingest: Annotated[bool, typer.Option(help="Start the OCPP ingest node.")] = True,
    demo: Annotated[bool, typer.Option(help="Load the demo data on first start.")] = True,
) -> None:
    """Start the whole platform on this machine; Ctrl-C stops it.

    Runs the migrations, loads the demo data on first start, starts the Temporal dev
    server (state in var/temporal.db), the worker, the OCPP ingest and the API, and
    prints their URLs and the demo logins."""
    from api.app import InsecureSettings, check_secret_key
    from energycloud.up import Platform

    settings = _settings()
    try:
        check_secret_key(settings)
    except InsecureSettings as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    platform = Platform(
        settings, log_level=ctx.obj or "info", worker=worker, ingest=ingest, demo=demo
    )
    raise typer.Exit(platform.run())


@app.command()
def migrate() -> None:
    """Upgrade the database at DATABASE_URL to the newest schema (Alembic `upgrade head`)."""
    from db.migrate import display_url, upgrade

    settings = _settings()
    revision = upgrade(settings.database_url)
    typer.echo(f"Database {display_url(settings.database_url)} is at revision {revision}.")


@app.command("demo-data")
def demo_data() -> None:
    """Load the demo world (partners, customers, chargers, users) once.

    Migrates the database first."""
    from db.base import make_engine, make_sessionmaker
    from db.demo import load_demo_data
    from db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        loaded = load_demo_data(make_sessionmaker(engine), password=settings.demo_password)
    finally:
        engine.dispose()
    if loaded:
        typer.echo(f"Demo data loaded; every demo user's password is {settings.demo_password!r}.")
    else:
        typer.echo("Demo data is already there; nothing loaded.")


@app.command("worker")
def worker_command() -> None:
    """Run the Temporal worker: all workflows and activities on the platform task queue."""
    from energycloud.worker import run_worker

    settings = _settings()
    try:
        asyncio.run(run_worker(settings))
    except Exception:
        log.exception("Worker failed")
        _exit_skipping_finalization(1)
    _exit_skipping_finalization(0)


@app.command("ingest")
def ingest_command() -> None:
    """Run an OCPP ingest node: chargers connect to ws://OCPP_HOST:OCPP_PORT/ocpp/<id>."""
    try:
        server = importlib.import_module("ocpp_ingest.server")
    except ImportError as exc:
        typer.echo(f"The OCPP ingest (ocpp_ingest.server) cannot be imported: {exc}", err=True)
        raise typer.Exit(1) from exc
    settings = _settings()
    log.info(
        "OCPP ingest node %s on ws://%s:%s/ocpp/<charge point id>",
        settings.ocpp_node_id,
        settings.ocpp_host,
        settings.ocpp_port,
    )
    try:
        _run(server.run(settings))
    except KeyboardInterrupt:
        pass
    except Exception:
        log.exception("OCPP ingest failed")
        _exit_skipping_finalization(1)
    _exit_skipping_finalization(0)


@app.command("api")
def api_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address [default: API_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: API_PORT].")] = None,
) -> None:
    """Serve the REST API (and its OpenAPI docs at /docs) with uvicorn."""
    import uvicorn

    from api.app import InsecureSettings, create_app
    from energycloud.api_services import make_api_services
    from energycloud.payments import payment_providers

    settings = _settings()
    try:
        app_ = create_app(settings, services=make_api_services(
            task_queue=settings.task_queue,
            ingest_url=f"ws://{settings.ocpp_host}:{settings.ocpp_port}/ocpp",
            offline_after_s=settings.ocpp_offline_after_s,
        ), mail=mail_config(settings))
    except InsecureSettings as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    # The webhook route asks Mollie for a payment's state (None: it answers 503).
    app_.state.payment_provider = payment_providers(settings, None).get("mollie")
    uvicorn.run(
        app_,
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_config=None,  # keep the process-wide logging set up above
        log_level=ctx.obj or "info",
    )
    _exit_skipping_finalization(0)


@app.command()
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

    from domain.periods import parse_period
    from energycloud.settle import settle as run_settle

    try:
        period = str(parse_period(period))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    code = asyncio.run(run_settle(_settings(), period, timeout_s=timeout_s, console=Console(),
                                  supplementary=supplementary))
    raise typer.Exit(code)


@app.command("bank-import")
def bank_import(
    file: Annotated[str, typer.Argument(help="The bank's camt.053 statement (XML).")],
) -> None:
    """Import a camt.053 bank statement: match its lines to collections and
    payouts, post the ledger, and list what matches nothing for finance."""
    from rich.console import Console

    from energycloud.payments import import_statement_file

    raise typer.Exit(import_statement_file(_settings(), file, console=Console()))


@app.command()
def collect(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM (e.g. 2026-10).")],
) -> None:
    """Start the collection workflows of a settled, approved period: Mollie
    payments and direct debits, with the dunning policy when they fail."""
    from rich.console import Console

    from domain.periods import parse_period
    from energycloud.payments import collect as run_collect

    try:
        period = str(parse_period(period))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    raise typer.Exit(run_collect(_settings(), period, console=Console()))


@app.command()
def payments(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM (e.g. 2026-10).")],
) -> None:
    """What a period collected, what is outstanding and overdue, what was paid
    out and what bounced."""
    from rich.console import Console

    from domain.periods import parse_period
    from energycloud.payments import show_overview

    try:
        period = str(parse_period(period))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    raise typer.Exit(show_overview(_settings(), period, console=Console()))


@app.command()
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

    from domain.periods import parse_period
    from energycloud.settle import decide

    try:
        period = str(parse_period(period))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    if reject and not (reason or "").strip():
        raise typer.BadParameter("a rejection needs --reason", param_hint="--reason")
    code = asyncio.run(decide(_settings(), period, by=by, reject_reason=reason if reject else None,
                              timeout_s=timeout_s, console=Console(),
                              supplementary=supplementary))
    raise typer.Exit(code)


@app.command()
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
        code = (show_undeliverable(_settings(), Console(), period=period) if undeliverable
                else show_outbox(_settings(), Console(), show=show))
    except LookupError as exc:
        raise typer.BadParameter(str(exc), param_hint="--show") from exc
    raise typer.Exit(code)


@app.command()
def resend(
    document: Annotated[str, typer.Option(help="The document number, e.g. INV-2026-000001.")],
    by: Annotated[str, typer.Option(help="Who asks for it (recorded), an e-mail address.")],
    timeout_s: Annotated[float, typer.Option("--timeout", min=1)] = 120.0,
) -> None:
    """Send a document again, to its recipient's current billing e-mail (recorded)."""
    from rich.console import Console

    from energycloud.mail_cli import resend as run_resend

    try:
        code = asyncio.run(run_resend(_settings(), Console(), number=document, by=by,
                                      timeout_s=timeout_s))
    except (LookupError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    raise typer.Exit(code)


class OcppVersion(enum.StrEnum):
    v16 = "1.6"
    v201 = "2.0.1"
    mixed = "mixed"


# What `simulate --demo` drives: db/demo.py's energized chargers and cards.
DEMO_CHARGERS = (
    "ACME-DEPOT-01", "ACME-DEPOT-02", "ACME-HOME-001", "PARK-P1-01", "PARK-P1-02",
    "PARK-P1-03", "PARK-OPEN-01", "KORF-01",
)
DEMO_ID_TAGS = (
    "NL-TNM-C00122045-K", "NL-NUO-C12345678-X", "ACME-JAN-01", "PARK-STAFF-01", "DEADBEEF",
)


@app.command()
def simulate(
    url: Annotated[
        str | None,
        typer.Option(
            help="OCPP endpoint without the charger id [default: ws://OCPP_HOST:OCPP_PORT/ocpp]."
        ),
    ] = None,
    count: Annotated[int, typer.Option(min=1, help="Number of simulated chargers.")] = 10,
    version: Annotated[
        OcppVersion, typer.Option(help="OCPP version they speak (mixed: half each).")
    ] = OcppVersion.v16,
    duration_s: Annotated[float, typer.Option("--duration", min=0, help="Seconds to run.")] = 60.0,
    session_every_s: Annotated[
        float,
        typer.Option("--session-every", min=0.1, help="Seconds between sessions per charger."),
    ] = 20.0,
    id_prefix: Annotated[str, typer.Option(help="Charger ids are <prefix><n>.")] = "SIM-",
    password: Annotated[
        str | None, typer.Option(help="Charger password (basic auth) [default: DEMO_PASSWORD].")
    ] = None,
    id_tags: Annotated[
        list[str] | None, typer.Option("--id-tag", help="Card uid to charge with; repeatable.")
    ] = None,
    chargers: Annotated[
        list[str] | None,
        typer.Option("--charger", help="Simulate this OCPP id (repeatable) instead of --count."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="The demo world's energized chargers, charging with its cards and public"
            " tokens (and an unknown tag now and then).",
        ),
    ] = False,
) -> None:
    """Simulate chargers against an OCPP endpoint: boot, heartbeat, charging sessions."""
    if demo:
        chargers = chargers or list(DEMO_CHARGERS)
        id_tags = id_tags or list(DEMO_ID_TAGS)
    try:
        run_simulation = importlib.import_module("ocpp_ingest.simulator").simulate
    except ImportError as exc:
        typer.echo(f"The simulator (ocpp_ingest.simulator) cannot be imported: {exc}", err=True)
        raise typer.Exit(1) from exc
    settings = _settings()
    url = url or f"ws://{settings.ocpp_host}:{settings.ocpp_port}/ocpp"
    log.info("Simulating %d OCPP %s chargers against %s", count, version.value, url)
    try:
        result = _run(
            run_simulation(
                url=url,
                count=count,
                version=version.value,
                duration_s=duration_s,
                session_every_s=session_every_s,
                id_prefix=id_prefix,
                password=password if password is not None else settings.demo_password,
                id_tags=list(id_tags or []),
                ids=list(chargers) if chargers else None,
            )
        )
    except KeyboardInterrupt:
        return
    if result is not None:
        typer.echo(str(result))


app.command("cluster")(importlib.import_module("energycloud.cluster").cluster_command)


if __name__ == "__main__":
    app()
