"""`energycloud simulate`: simulated chargers (OCPP 1.6, 2.0.1 or both) against
an OCPP endpoint, or the demo world's energized chargers with `--demo`."""

from __future__ import annotations

import enum
import importlib
import logging
from typing import Annotated

import typer

from energycloud.commands.common import load_settings, run_to_completion

log = logging.getLogger("energycloud")


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
    id_prefix: Annotated[
        str, typer.Option(help="Charger ids are the prefix and a number (SIM-1, SIM-2, …).")
    ] = "SIM-",
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
    settings = load_settings()
    url = url or f"ws://{settings.ocpp_host}:{settings.ocpp_port}/ocpp"
    log.info("Simulating %d OCPP %s chargers against %s", count, version.value, url)
    try:
        result = run_to_completion(
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

