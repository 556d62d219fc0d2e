"""Supervising the platform's child processes (`energycloud up`): each child runs
in its own process group, so Ctrl-C reaches only the supervisor, which stops the
children in reverse order (SIGTERM, SIGKILL after a grace period; a second
Ctrl-C kills at once). On Linux the children also get SIGTERM if the supervisor
itself is killed. A child that dies takes the platform down with a non-zero
exit: half a platform is worse than none."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import IO

log = logging.getLogger(__name__)

GRACE_S = 12.0
POLL_S = 0.25

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class StartupError(Exception):
    """Giving up on starting; the message tells the operator what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while starting."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_file: IO | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid


def die_with_parent_hook():
    """A preexec function asking Linux to SIGTERM the child when we die (PR_SET_PDEATHSIG),
    so a killed supervisor leaves no platform behind holding the ports."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    """Waiting for, watching and stopping `children` (the platform's processes).
    The subclass provides `children`, `_signals` (how many stop signals arrived)
    and `var` (where the logs are)."""

    children: list[Child]
    _signals: int

    def _check_interrupted(self) -> None:
        if self._signals:
            raise Interrupted

    def _check_children(self) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                hint = f"; see {self.var / 'temporal.log'}" if child.name == "temporal" else ""
                raise StartupError(f"The {child.name} exited with code {code} while starting{hint}")

    def _wait_until(self, ready, timeout_s: float, what: str) -> float:
        started = time.monotonic()
        while True:
            self._check_interrupted()
            self._check_children()
            if ready():
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise StartupError(f"Gave up waiting {timeout_s:.0f} s for {what}")
            time.sleep(POLL_S)

    def _supervise(self) -> int:
        while not self._signals:
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    log.error(
                        "The %s (pid %d) exited with code %s; stopping the platform",
                        child.name,
                        child.pid,
                        code,
                    )
                    return EXIT_FAILED
            time.sleep(POLL_S)
        return EXIT_OK

    def _stop_all(self) -> None:
        apps = [c for c in reversed(self.children) if c.name != "temporal"]
        temporal = [c for c in self.children if c.name == "temporal"]
        # Applications first, so none of them sees Temporal vanish under it.
        self._terminate(apps)
        self._terminate(temporal)

    def _terminate(self, children: list[Child]) -> None:
        alive = [c for c in children if c.process.poll() is None]
        for child in alive:
            log.info("Stopping %s (pid %d)", child.name, child.pid)
            signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for child in alive:
            while (
                child.process.poll() is None and time.monotonic() < deadline and self._signals < 2
            ):
                time.sleep(0.05)
            if child.process.poll() is None:
                log.warning("The %s (pid %d) did not stop; killing it", child.name, child.pid)
                signal_group(child.pid, signal.SIGKILL)
                child.process.wait()
        for child in children:
            code = child.process.wait()
            signal_group(child.pid, signal.SIGKILL)  # stragglers the child may have left
            if child in alive:
                log.info("Stopped %s (pid %d, exit code %s)", child.name, child.pid, code)
            if child.log_file:
                child.log_file.close()
                child.log_file = None
        self.children = [c for c in self.children if c not in children]
