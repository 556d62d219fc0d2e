"""`energycloud up` as a user runs it: a subprocess on free ports and its own ./var/,
up until the API answers, Ctrl-C, every child gone."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db.base import make_engine

pytestmark = [pytest.mark.temporal, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Press Ctrl-C to stop."
STARTED = re.compile(r"Started (\w+) \(pid (\d+)\)")


def _free_ports(count: int) -> list[int]:
    """Distinct free ports (all held open at once while the kernel picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie nobody reaped yet counts as gone
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


class Up:
    """One `energycloud up` subprocess whose merged output is collected as it comes."""

    started: list[Up] = []  # killed after each test, whatever ended it (kill_leftovers)

    def __init__(self, cwd: Path, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        Up.started.append(self)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "energycloud.cli", "up", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output:
            if self.process.poll() is not None:
                self._reader.join(2)
                pytest.fail(f"up exited with {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"no {text!r} after {timeout_s} s:\n{self.output}")
            time.sleep(0.1)

    def children(self) -> dict[str, int]:
        return {name: int(pid) for name, pid in STARTED.findall(self.output)}

    def stop(self, timeout_s: float = 20.0) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"up did not stop within {timeout_s} s:\n{self.output}")
        self._reader.join(5)
        return code, time.monotonic() - started

    def kill(self) -> None:
        for pid in self.children().values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.kill()
        self.process.wait()


@pytest.fixture(autouse=True)
def kill_leftovers():
    """A test that failed or timed out while `up` ran leaves no platform behind."""
    yield
    for up in Up.started:
        if up.process.poll() is None:
            up.kill()
    Up.started.clear()


@pytest.fixture
def platform_env(tmp_path):
    var = tmp_path / "var"
    api_port, ocpp_port, temporal_port, ui_port = _free_ports(4)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEMPORAL_", "API_", "OCPP_", "DATABASE_", "VAR_DIR"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'energycloud.db'}",
        API_HOST="127.0.0.1",
        API_PORT=str(api_port),
        OCPP_HOST="127.0.0.1",
        OCPP_PORT=str(ocpp_port),
        TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
        TEMPORAL_UI_PORT=str(ui_port),
        TEMPORAL_EMBEDDED="true",
        LOG_LEVEL="info",
    )
    return env


def _ingest_args() -> list[str]:
    """The full platform once the OCPP ingest exists; without it until then."""
    try:
        from ocpp_ingest import server
    except ImportError:
        return ["--no-ingest"]
    return [] if callable(getattr(server, "run", None)) else ["--no-ingest"]


def _emails(database_url: str) -> list[str]:
    from db.models import User

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(User.email)).scalars())
    finally:
        engine.dispose()


def test_up_serves_everything_and_ctrl_c_stops_every_child(tmp_path, platform_env):
    env = platform_env
    api = f"http://127.0.0.1:{env['API_PORT']}"

    args = _ingest_args()
    up = Up(tmp_path, env, *args)
    up.wait_for(READY_LINE, timeout_s=90)

    output = up.output
    assert f"{api}/api/v1" in output
    assert f"{api}/docs" in output
    assert f"http://127.0.0.1:{env['TEMPORAL_UI_PORT']}" in output
    children = up.children()
    assert {"temporal", "worker", "api"} <= set(children)
    if not args:
        assert "ingest" in children
        assert f"ws://127.0.0.1:{env['OCPP_PORT']}/ocpp/<id>" in output
    for email in _emails(env["DATABASE_URL"]):
        assert email in output  # the demo logins come from the database
    health = httpx.get(f"{api}/api/v1/health", timeout=10).json()
    assert health["database"] == "ok"
    assert health["temporal"] == "ok"

    code, took = up.stop()

    assert code == 0, up.output
    assert took < 20
    assert [name for name, pid in children.items() if not _gone(pid)] == []
    assert "Fatal Python error" not in up.output
    assert (Path(env["VAR_DIR"]) / "temporal.db").exists()  # Temporal state persists

    # Second start: nothing to migrate or load, same Temporal state file.
    again = Up(tmp_path, env, *args)
    again.wait_for(READY_LINE, timeout_s=60)
    assert "is up to date" in again.output
    assert "Demo data already loaded" in again.output
    code, _ = again.stop()
    assert code == 0, again.output
    assert all(_gone(pid) for pid in again.children().values())


def test_up_refuses_a_busy_port_with_a_clear_message(tmp_path, platform_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(platform_env["API_PORT"])))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "energycloud.cli", "up"],
            cwd=tmp_path,
            env=platform_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 2
    assert f"port {platform_env['API_PORT']}" in result.stderr
    assert "API_PORT" in result.stderr
