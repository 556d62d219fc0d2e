"""Database work off the event loop, written once.

The ingest serves every charger socket of a node on one event loop, and the
session gateway answers it; a blocking database call there would stall them
all. `run_off_loop` runs a unit of work on a worker thread in its own database
session: a read (no transaction kept; `db.base.reading`), or with `commit=True` a transaction that
commits on success and rolls back on any error (`db.base.transaction`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from db.base import reading, transaction

T = TypeVar("T")


async def run_off_loop(
    session_factory: sessionmaker[Session], work: Callable[[Session], T], *, commit: bool = False
) -> T:
    def run() -> T:
        if commit:
            with transaction(session_factory) as db:
                return work(db)
        with reading(session_factory) as db:
            return work(db)

    return await asyncio.to_thread(run)
