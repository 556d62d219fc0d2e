"""The `energycloud` command line: help everywhere, migrate and demo-data on a fresh file."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from db import migrate as db_migrate
from db.base import make_engine
from energycloud.cli import app
from energycloud.settings import get_settings

COMMANDS = ["up", "migrate", "demo-data", "worker", "ingest", "api", "simulate"]


@pytest.fixture
def runner():
    yield CliRunner()
    get_settings.cache_clear()  # the CLI read this test's environment; forget it


@pytest.fixture
def sqlite_url(tmp_path):
    # A directory that does not exist yet, like ./var/ on a fresh checkout.
    return f"sqlite:///{tmp_path / 'var' / 'energycloud.db'}"


def test_help_lists_every_command(runner):
    result = runner.invoke(app, ["--help"])

    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = runner.invoke(app, [command, "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_no_arguments_shows_help(runner):
    result = runner.invoke(app, [])

    assert "Usage" in result.output


def test_migrate_brings_a_new_sqlite_file_to_head(runner, sqlite_url):
    result = runner.invoke(app, ["migrate"], env={"DATABASE_URL": sqlite_url})

    assert result.exit_code == 0, result.output
    head = db_migrate.head_revision()
    assert f"at revision {head}" in result.output
    assert db_migrate.current_revision(sqlite_url) == head


def test_migrate_twice_changes_nothing(runner, sqlite_url):
    env = {"DATABASE_URL": sqlite_url}
    runner.invoke(app, ["migrate"], env=env)
    result = runner.invoke(app, ["migrate"], env=env)

    assert result.exit_code == 0, result.output
    assert db_migrate.current_revision(sqlite_url) == db_migrate.head_revision()


def test_demo_data_loads_once(runner, sqlite_url):
    from db.models import User

    env = {"DATABASE_URL": sqlite_url, "DEMO_PASSWORD": "pw-for-test"}
    first = runner.invoke(app, ["demo-data"], env=env)
    second = runner.invoke(app, ["demo-data"], env=env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "already there" in second.output
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        users = conn.execute(select(func.count()).select_from(User)).scalar_one()
    engine.dispose()
    if "Demo data loaded" in first.output:
        assert "pw-for-test" in first.output
        assert users > 0
    else:  # the demo loader loads nothing yet
        assert users == 0


def test_log_level_must_be_a_known_level(runner):
    result = runner.invoke(app, ["--log-level", "loud", "migrate", "--help"])

    assert result.exit_code != 0


def test_ingest_without_its_module_says_so(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "ocpp_ingest.server", None)  # import fails

    result = runner.invoke(app, ["ingest"])

    assert result.exit_code == 1
    assert "ocpp_ingest.server" in result.output


def test_simulate_without_its_module_says_so(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "ocpp_ingest.simulator", None)

    result = runner.invoke(app, ["simulate", "--count", "1"])

    assert result.exit_code == 1
    assert "ocpp_ingest.simulator" in result.output


def test_simulate_passes_its_options_to_the_simulator(runner, monkeypatch):
    import types

    calls = []

    async def fake_simulate(**kwargs):
        calls.append(kwargs)
        return "2 sessions"

    monkeypatch.setitem(
        sys.modules, "ocpp_ingest.simulator", types.SimpleNamespace(simulate=fake_simulate)
    )
    result = runner.invoke(
        app,
        [
            "simulate",
            "--count",
            "3",
            "--version",
            "2.0.1",
            "--duration",
            "5",
            "--session-every",
            "1.5",
            "--id-prefix",
            "T-",
            "--id-tag",
            "CARD1",
            "--id-tag",
            "CARD2",
        ],
        env={"OCPP_HOST": "127.0.0.1", "OCPP_PORT": "9123", "DEMO_PASSWORD": "pw"},
    )

    assert result.exit_code == 0, result.output
    assert calls == [
        {
            "url": "ws://127.0.0.1:9123/ocpp",
            "count": 3,
            "version": "2.0.1",
            "duration_s": 5.0,
            "session_every_s": 1.5,
            "id_prefix": "T-",
            "password": "pw",
            "id_tags": ["CARD1", "CARD2"],
            "ids": None,
        }
    ]
    assert "2 sessions" in result.output

    calls.clear()
    result = runner.invoke(app, ["simulate", "--demo", "--duration", "5"],
                           env={"DEMO_PASSWORD": "pw"})
    assert result.exit_code == 0, result.output
    [demo] = calls
    assert "ACME-HOME-001" in demo["ids"] and "NL-TNM-C00122045-K" in demo["id_tags"]


def test_a_temporal_command_exits_plainly_in_process_and_hard_in_its_own():
    """In its own process a command that used a Temporal client ends with os._exit
    after flushing (the subprocess tests of settle / approve / collect / resend
    check its output and exit code); in process, under a test's captured stdout,
    it is a plain typer.Exit with the code."""
    import contextlib
    import io

    import typer

    from energycloud.commands.common import exit_after_temporal

    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(typer.Exit) as exited:
        exit_after_temporal(3)
    assert exited.value.exit_code == 3
