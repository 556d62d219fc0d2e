"""SQLite's writers of one process take turns on a lock of their own.

SQLite lets one writer in at a time, and a writer that finds the database locked
sleeps in its busy handler (1, 2, 5, ... up to 100 ms a nap) however soon the
lock is free again: under twenty concurrent session starts that was most of the
authorization's tail (issue 14). Waiting here instead, the next writer starts the
moment the last one commits, and a unit of work someone is waiting on (a
charger's authorization) goes before the others. Writers in other processes
still wait in SQLite's busy handler, as before.

A turn is reentrant, so a nested unit of work in one thread meets SQLite's own
lock (and its busy timeout) exactly as it would without this module. A writer
that waited `give_up_s` for its turn (a holder stuck, or waiting on this one)
goes on without it, to SQLite's own lock and busy timeout: never a wait without
end where SQLite alone would have answered "database is locked"."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


class WriterTurns:
    """One writer at a time; urgent ones are let in before the others."""

    def __init__(self, *, give_up_s: float = 30.0) -> None:
        self.give_up_s = give_up_s
        self._lock = threading.Lock()
        self._urgent = threading.Condition(self._lock)
        self._others = threading.Condition(self._lock)
        self._owner: int | None = None
        self._depth = 0
        self._urgent_waiting = 0
        self._others_waiting = 0

    @contextmanager
    def turn(self, *, urgent: bool = False) -> Iterator[None]:
        if not self._acquire(urgent):
            yield  # without a turn: SQLite's own lock decides
            return
        try:
            yield
        finally:
            self._release()

    def _acquire(self, urgent: bool) -> bool:
        me = threading.get_ident()
        deadline = time.monotonic() + self.give_up_s
        with self._lock:
            if self._owner == me:
                self._depth += 1
                return True
            if urgent:
                self._urgent_waiting += 1
                try:
                    while self._owner is not None:
                        if not self._urgent.wait(deadline - time.monotonic()):
                            return self._gave_up()
                finally:
                    self._urgent_waiting -= 1
            else:
                self._others_waiting += 1
                try:
                    while self._owner is not None or self._urgent_waiting:
                        if not self._others.wait(deadline - time.monotonic()):
                            return self._gave_up()
                finally:
                    self._others_waiting -= 1
            self._owner, self._depth = me, 1
            return True

    def _gave_up(self) -> bool:
        log.warning("A writer waited %.0f s for its turn on the SQLite file; it goes on to "
                    "SQLite's own lock", self.give_up_s)
        return False

    def _release(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if self._urgent_waiting:
                self._urgent.notify()
            elif self._others_waiting:
                self._others.notify()


_TURNS: dict[str, WriterTurns] = {}
_GUARD = threading.Lock()


def writer_turn(bind: Engine | None, *, urgent: bool = False) -> AbstractContextManager:
    """The turn a unit of work that writes to `bind` waits for: on a SQLite file,
    this process's turns for that file (shared by every engine on it); nothing
    to wait for on PostgreSQL or an in-memory database."""
    if bind is None or bind.dialect.name != "sqlite":
        return nullcontext()
    path = bind.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return nullcontext()
    key = os.path.realpath(path)
    with _GUARD:
        turns = _TURNS.setdefault(key, WriterTurns())
    return turns.turn(urgent=urgent)
