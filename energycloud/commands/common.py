"""What the `energycloud` subcommands share: the settings of this invocation
(checked before servers start), running a sync-or-async call site, leaving a
server process, and `--period`."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
from typing import NoReturn

import typer

from energycloud.settings import Settings, configure_libraries, get_settings


def load_settings() -> Settings:
    """This invocation's settings, with the libraries configured from them."""
    settings = get_settings()
    configure_libraries(settings)
    return settings


def platform_settings() -> Settings:
    """Settings for starting the platform's servers: as `load_settings`, and a
    placeholder SECRET_KEY outside the embedded demo is a usage error (exit 2)."""
    from api.app import InsecureSettings, check_secret_key

    settings = load_settings()
    try:
        check_secret_key(settings)
    except InsecureSettings as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    return settings


def run_to_completion(result) -> object:
    """Call sites of other packages may be sync or async; run either to completion."""
    if inspect.isawaitable(result):

        async def _await():
            return await result

        return asyncio.run(_await())
    return result


def exit_skipping_finalization(code: int) -> NoReturn:
    """Leave a server process without interpreter finalization, during which the
    threads of Temporal's Rust bridge can abort CPython ("PyGILState_Release: thread
    state must be current", temporalio/sdk-python#300) after an otherwise clean stop.
    Only for the long-running server commands, never called in-process by tests."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def exit_after_temporal(code: int) -> NoReturn:
    """End a command that used a Temporal client: without interpreter finalization
    (the Rust bridge's threads can abort CPython there, temporalio/sdk-python#300:
    `energycloud approve` once exited -6 after printing its whole answer). In
    process, under a test's CliRunner (which replaces stdout), a plain exit."""
    if sys.stdout is not sys.__stdout__:
        raise typer.Exit(code)
    exit_skipping_finalization(code)


def period_option(period: str) -> str:
    """The `--period` month as YYYY-MM (domain.periods.parse_period); anything
    else is a usage error naming --period (exit code 2)."""
    from domain.periods import parse_period

    try:
        return str(parse_period(period))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
