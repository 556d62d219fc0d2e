"""The buffered database writer of an ingest node (group commit).

Every write of the ingest (meter values, status, transactions, connection state)
goes through one writer thread that commits in batches: a batch is written when
it holds `flush_rows` rows or `flush_ms` after its first item, whichever comes
first. The caller awaits its item, and a charger's message is answered only
after the batch holding its data has committed: nothing that was answered is
lost if the process is killed, while hundreds of chargers share one commit.

Within a batch, `fn` items run first, in order; then plain rows go in as one
executemany per model, and parameter sets of one Core statement as one
executemany per statement (on PostgreSQL a single round trip each: psycopg's
insertmanyvalues and pipelined executemany), so the hot writes cost a few
round trips per batch instead of a few per message.

If a batch fails, it is rolled back and its items are retried one by one, each
in its own transaction, so one bad item fails alone. The event loop never
blocks on the database.

A batch slower than `slow_batch_ms` is logged with what it held."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_STOP = object()


@dataclass
class _Item:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    fn: Callable[[Session], Any] | None = None
    model: type | None = None
    rows: list[dict] = field(default_factory=list)
    statement: Any = None
    params: dict | None = None
    unmatched: Callable[[Session, dict], Any] | None = None

    @property
    def size(self) -> int:
        return max(1, len(self.rows))


class DbWriter:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        flush_rows: int = 500,
        flush_ms: float = 10.0,
        name: str = "ocpp-db-writer",
        slow_batch_ms: float = 250.0,
    ):
        self._factory = session_factory
        self._flush_rows = max(1, flush_rows)
        self._flush_s = max(0.0, flush_ms / 1000)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._slow_s = slow_batch_ms / 1000
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    async def stop(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._started:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._started = False

    def run(self, fn: Callable[[Session], Any]) -> asyncio.Future:
        """Run `fn(session)` in the next batch; the future resolves after commit."""
        return self._submit(_Item(*self._loop_future(), fn=fn))

    def insert_rows(self, model: type, rows: list[dict]) -> asyncio.Future:
        """Insert plain rows (one executemany per model and batch)."""
        if not rows:
            fut = asyncio.get_running_loop().create_future()
            fut.set_result(None)
            return fut
        return self._submit(_Item(*self._loop_future(), model=model, rows=rows))

    def execute(
        self,
        statement,
        params: dict,
        *,
        unmatched: Callable[[Session, dict], Any] | None = None,
    ) -> asyncio.Future:
        """Run a Core UPDATE with `params` in the next batch, in one executemany
        with the batch's other parameter sets of the same statement. When that
        matched fewer rows than it had parameter sets, `unmatched(session, params)`
        runs for every one of them after it (so it must be harmless for a set
        that did match): what one row count cannot tell is decided per item."""
        return self._submit(
            _Item(*self._loop_future(), statement=statement, params=params, unmatched=unmatched)
        )

    @staticmethod
    def _loop_future():
        loop = asyncio.get_running_loop()
        return loop, loop.create_future()

    def _submit(self, item: _Item) -> asyncio.Future:
        if not self._started:
            raise RuntimeError("DbWriter is not running")
        self._queue.put(item)
        return item.future

    # -- writer thread -------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch, size = [first], first.size
            deadline = time.monotonic() + self._flush_s
            while size < self._flush_rows:
                timeout = deadline - time.monotonic()
                try:
                    if timeout > 0:
                        nxt = self._queue.get(timeout=timeout)
                    else:
                        nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
                size += nxt.size
            self._write(batch)
        # Drain anything submitted concurrently with stop().
        rest = []
        while True:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is not _STOP:
                rest.append(nxt)
        if rest:
            self._write(rest)

    def _write(self, batch: list[_Item]) -> None:
        self.batches += 1
        self.items += len(batch)
        began = time.monotonic()
        try:
            results = self._commit(batch)
            took = time.monotonic() - began
            if took > self._slow_s:
                log.warning("slow write: %.0f ms for a batch of %s", took * 1e3, _contents(batch))
        except Exception as exc:  # noqa: BLE001 - one bad item must fail alone
            if len(batch) == 1:
                log.warning("write failed: %s", exc)
                self._resolve([(batch[0], None, exc)])
                return
            log.warning("batch of %d failed (%s); retrying items one by one", len(batch), exc)
            outcomes = []
            for item in batch:
                try:
                    (result,) = self._commit([item])
                except Exception as item_exc:  # noqa: BLE001
                    outcomes.append((item, None, item_exc))
                else:
                    outcomes.append((item, result, None))
            self._resolve(outcomes)
            return
        self._resolve([(item, result, None) for item, result in zip(batch, results, strict=True)])

    def _commit(self, batch: list[_Item]) -> list[Any]:
        results: list[Any] = [None] * len(batch)
        by_model: dict[type, list[dict]] = {}
        by_statement: dict[Any, list[_Item]] = {}
        with self._factory() as session, session.begin():
            for i, item in enumerate(batch):
                if item.fn is not None:
                    results[i] = item.fn(session)
                    session.flush()
                elif item.statement is not None:
                    by_statement.setdefault(item.statement, []).append(item)
                else:
                    by_model.setdefault(item.model, []).extend(item.rows)
            if by_model or by_statement:
                connection = session.connection()
                for model, rows in by_model.items():
                    connection.execute(_insert_statement(connection, model), rows)
                for statement, items in by_statement.items():
                    matched = connection.execute(statement, [it.params for it in items]).rowcount
                    if matched < len(items):
                        for it in items:
                            if it.unmatched is not None:
                                it.unmatched(session, it.params)
                session.flush()
        return results

    @staticmethod
    def _resolve(outcomes: list[tuple[_Item, Any, BaseException | None]]) -> None:
        """Settle the futures of a batch: one wake-up per event loop, not per item
        (each call_soon_threadsafe writes to the loop's self-pipe)."""
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)

        def settle(settled):
            for item, result, exc in settled:
                if item.future.done():
                    continue
                if exc is not None:
                    item.future.set_exception(exc)
                else:
                    item.future.set_result(result)

        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(settle, settled)
            except RuntimeError:  # loop closed: nobody is waiting any more
                pass


def _contents(batch: list[_Item]) -> str:
    """What a batch held, by kind: "3 boot, 120 rows of MeterValue, 40 statements"."""
    kinds: dict[str, int] = {}
    for item in batch:
        if item.fn is not None:
            kind = getattr(getattr(item.fn, "func", item.fn), "__name__", "unit of work")
        elif item.model is not None:
            kind = f"rows of {item.model.__name__}"
        else:
            kind = "statements"
        kinds[kind] = kinds.get(kind, 0) + item.size
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))


_INSERTS: dict[tuple[str, type], Any] = {}


def _insert_statement(connection, model):
    """A plain Core INSERT into the model's table (the rows' keys are column names;
    no ORM bulk-insert machinery per batch), or for tables whose rows are
    idempotent facts (meter readings a charger may send twice) one that skips
    rows already stored. Built once per dialect and model."""
    dialect = connection.dialect.name
    key = (dialect, model)
    stmt = _INSERTS.get(key)
    if stmt is None:
        table = model.__table__
        if not getattr(model, "insert_ignores_duplicates", False):
            stmt = insert(table)
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert

            stmt = dialect_insert(table).on_conflict_do_nothing()
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert

            stmt = dialect_insert(table).on_conflict_do_nothing()
        else:  # pragma: no cover - only the two supported backends
            stmt = insert(table)
        _INSERTS[key] = stmt
    return stmt
