"""The ingest writer on a SQLite file leaves WAL checkpoints to a thread of its
own (db/wal.py): its commits never copy the log into the database file, and the
log is still checkpointed; a slow batch is logged with what it held."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from db.base import make_engine, make_sessionmaker, utcnow
from db.models import OcppNode
from db.schema import reset_schema
from ocpp_ingest.writer import DbWriter
from tests.ocpp.support import eventually


def _node(i: int) -> dict:
    now = utcnow()
    return {"node_id": f"wal-{i}", "alive_until": now, "started_at": now}


async def test_the_writers_commits_leave_the_checkpoint_to_its_own_thread(tmp_path):
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    reset_schema(engine)
    writer = DbWriter(make_sessionmaker(engine), flush_rows=50, flush_ms=1)
    assert writer.checkpointer is not None
    writer.checkpointer.interval_s = 0.05
    writer.start()
    try:
        seen = await writer.run(
            lambda s: s.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        )
        assert seen == 0  # no checkpoint inside the writer's commits
        for i in range(20):
            await writer.insert_rows(OcppNode, [_node(i)])
        # The checkpointer copies every page the writer logged into the database
        # file (SQLite's own checkpoint would wait for 1,000 pages of log).
        done = writer.checkpointer.checkpoints
        await eventually(lambda: writer.checkpointer.checkpoints > done)
        busy, logged, copied = writer.checkpointer.last
        assert busy == 0 and logged > 0 and copied == logged
    finally:
        await writer.stop()
        engine.dispose()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM ocpp_nodes").fetchone()[0] == 20


async def test_a_slow_batch_is_logged_with_what_it_held(session_factory, caplog):
    writer = DbWriter(session_factory, flush_rows=50, flush_ms=50, slow_batch_ms=0)
    writer.start()
    try:
        with caplog.at_level(logging.WARNING, logger="ocpp_ingest.writer"):
            await asyncio.gather(
                writer.insert_rows(OcppNode, [_node(1), _node(2)]),
                writer.run(lambda s: None),
            )
    finally:
        await writer.stop()
    (line,) = [r.getMessage() for r in caplog.records if "slow write" in r.getMessage()]
    assert "for a batch of 2 rows of OcppNode, 1 <lambda>" in line
