"""Units of work (db.base, db.writer_turns): on a SQLite file, this process's
writers take turns on a lock of their own instead of napping in SQLite's busy
handler, urgent ones first; readers never wait for them."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from db.base import make_engine, make_sessionmaker, reading, transaction
from db.writer_turns import WriterTurns


def _factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
    return engine, make_sessionmaker(engine)


def test_sqlite_writers_of_one_process_take_turns_and_readers_do_not_wait(tmp_path):
    engine, factory = _factory(tmp_path)
    # A second engine on the same file (as the ingest's and the worker's are in
    # one process) shares the turn.
    other = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'turns.db'}"))
    inside, events = threading.Event(), []

    def first():
        with transaction(factory) as db:
            db.execute(text("INSERT INTO t VALUES (1)"))
            inside.set()
            time.sleep(0.3)
            events.append(("first done", time.monotonic()))

    def second():
        with transaction(other) as db:
            events.append(("second in", time.monotonic()))
            db.execute(text("INSERT INTO t VALUES (2)"))

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(5)
    b = threading.Thread(target=second)
    b.start()
    t0 = time.monotonic()
    with reading(factory) as db:  # a reader is not held up by the writer
        assert db.scalar(text("SELECT count(*) FROM t")) == 0
    assert time.monotonic() - t0 < 0.2
    a.join(5)
    b.join(5)
    # The second writer entered its unit of work only once the first had committed.
    assert [name for name, _ in events] == ["first done", "second in"]
    with reading(factory) as db:
        assert db.scalar(text("SELECT count(*) FROM t")) == 2
    engine.dispose()


def test_a_failed_unit_of_work_hands_the_turn_on(tmp_path):
    engine, factory = _factory(tmp_path)
    try:
        with transaction(factory) as db:
            db.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    done = threading.Event()

    def write():
        with transaction(factory) as db:
            db.execute(text("INSERT INTO t VALUES (2)"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(5)
    with reading(factory) as db:
        assert db.scalar(text("SELECT v FROM t")) == 2
    engine.dispose()


def test_an_urgent_writer_goes_before_writers_that_waited_longer():
    turns = WriterTurns()
    order: list[str] = []

    def wait_until(condition):
        deadline = time.monotonic() + 5
        while not condition():
            assert time.monotonic() < deadline
            time.sleep(0.005)

    def writer(name, urgent):
        with turns.turn(urgent=urgent):
            order.append(name)

    with turns.turn():
        with turns.turn():  # reentrant in one thread
            pass
        other = threading.Thread(target=writer, args=("other", False))
        other.start()
        wait_until(lambda: turns._others_waiting == 1)
        urgent = threading.Thread(target=writer, args=("urgent", True))
        urgent.start()
        wait_until(lambda: turns._urgent_waiting == 1)
        order.append("holder")
    other.join(5)
    urgent.join(5)
    assert order == ["holder", "urgent", "other"]


def test_a_writer_that_waited_too_long_goes_on_without_its_turn():
    """A holder that never lets go (stuck, or waiting on the waiter) must not make
    the waiter wait for ever: after `give_up_s` it goes on to SQLite's own lock."""
    turns = WriterTurns(give_up_s=0.3)
    holding, release = threading.Event(), threading.Event()

    def holder():
        with turns.turn():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(5)
    went_on = threading.Event()

    def waiter():
        with turns.turn():
            went_on.set()

    other = threading.Thread(target=waiter)
    other.start()
    assert went_on.wait(5) and not release.is_set()
    release.set()
    thread.join(5)
    other.join(5)
    with turns.turn():  # the turn is free again: the holder released it
        pass
