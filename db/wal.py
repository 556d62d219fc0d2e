"""SQLite's WAL checkpoints, off the commit path of a writer that commits for many.

By default SQLite checkpoints inside the commit that takes the write-ahead log
past 1,000 pages: that commit copies the pages into the database file and syncs
it. Under 8,000 chargers (bench/ocpp_load.py) such a commit of the ingest's
writer took 300-500 ms instead of a few, and every charger whose answer waited on
that batch waited with it: the whole p99.

A `WalCheckpointer` turns automatic checkpoints off on the connections it adopts
(the writer's) and runs PASSIVE checkpoints on a thread and connection of its
own every `interval_s`: a passive checkpoint never waits for a reader or the
writer, and the writer goes on appending to the log meanwhile. Other connections
keep SQLite's default, which then rarely finds anything left to copy.

Nothing about durability changes: a commit is in the log, synced, before the
writer answers, exactly as before."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: Engine, *, interval_s: float = 0.5, slow_s: float = 1.0):
        self._engine = engine
        self.interval_s = interval_s
        self._slow_s = slow_s
        self._adopted: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        # (busy, pages in the log, pages copied) of the last checkpoint.
        self.last: tuple[int, int, int] | None = None

    @staticmethod
    def wanted(engine: Engine | None) -> bool:
        """Only a SQLite file has a write-ahead log to checkpoint."""
        return (
            engine is not None
            and engine.dialect.name == "sqlite"
            and engine.url.database not in (None, "", ":memory:")
        )

    def adopt(self, dbapi_connection) -> None:
        """No automatic checkpoint in this connection's commits (once per connection)."""
        key = id(dbapi_connection)
        if key not in self._adopted:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
            self._adopted.add(key)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        connection = self._engine.raw_connection()
        try:
            while True:
                stopping = self._stop.wait(self.interval_s)
                self.checkpoint(connection)
                if stopping:
                    return
        finally:
            connection.close()

    def checkpoint(self, connection) -> None:
        began = time.monotonic()
        try:
            cursor = connection.cursor()
            busy, frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cursor.close()
        except Exception:  # noqa: BLE001 - the next round tries again; SQLite's own
            log.warning("WAL checkpoint failed", exc_info=True)  # still checkpoints too
            return
        self.checkpoints += 1
        self.last = (busy, frames, copied)
        took = time.monotonic() - began
        if took > self._slow_s:
            log.info("WAL checkpoint copied %s of %s pages in %.0f ms", copied, frames, took * 1e3)
