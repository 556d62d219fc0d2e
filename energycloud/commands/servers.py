"""The commands that bring the platform up: everything on one machine (`up`),
the database (`migrate`, `demo-data`) and one production process each
(`worker`, `ingest`, `api`)."""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Annotated

import typer

from energycloud.commands.common import (
    exit_skipping_finalization,
    load_settings,
    platform_settings,
    run_to_completion,
)
from energycloud.settings import mail_config

log = logging.getLogger("energycloud")


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
    from energycloud.up import Platform

    settings = platform_settings()
    platform = Platform(
        settings, log_level=ctx.obj or "info", worker=worker, ingest=ingest, demo=demo
    )
    raise typer.Exit(platform.run())


def migrate() -> None:
    """Upgrade the database at DATABASE_URL to the newest schema (Alembic `upgrade head`)."""
    from db.migrate import display_url, upgrade

    settings = load_settings()
    revision = upgrade(settings.database_url)
    typer.echo(f"Database {display_url(settings.database_url)} is at revision {revision}.")


def demo_data() -> None:
    """Load the demo world (partners, customers, chargers, users) once.

    Migrates the database first."""
    from db.base import make_engine, make_sessionmaker
    from db.demo import load_demo_data
    from db.migrate import upgrade

    settings = load_settings()
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


def worker_command() -> None:
    """Run the Temporal worker: all workflows and activities on the platform task queue."""
    from energycloud.worker import run_worker

    settings = load_settings()
    try:
        asyncio.run(run_worker(settings))
    except Exception:
        log.exception("Worker failed")
        exit_skipping_finalization(1)
    exit_skipping_finalization(0)


def ingest_command() -> None:
    """Run an OCPP ingest node: chargers connect to ws://OCPP_HOST:OCPP_PORT/ocpp/CHARGER-ID."""
    try:
        server = importlib.import_module("ocpp_ingest.server")
    except ImportError as exc:
        typer.echo(f"The OCPP ingest (ocpp_ingest.server) cannot be imported: {exc}", err=True)
        raise typer.Exit(1) from exc
    settings = load_settings()
    log.info(
        "OCPP ingest node %s on ws://%s:%s/ocpp/<charge point id>",
        settings.ocpp_node_id,
        settings.ocpp_host,
        settings.ocpp_port,
    )
    try:
        run_to_completion(server.run(settings))
    except KeyboardInterrupt:
        pass
    except Exception:
        log.exception("OCPP ingest failed")
        exit_skipping_finalization(1)
    exit_skipping_finalization(0)


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

    settings = load_settings()
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
    exit_skipping_finalization(0)
