"""Periodic upkeep of the API's own data: logins that expired are deleted a day
after they stopped working (`db.auth.purge_expired_logins`). Portal sessions,
bearer tokens and account links are made by the API, so the API process clears
them: it runs wherever logins are made, on SQLite and PostgreSQL alike, and
several API processes doing it is harmless (a purge deletes what is there).

The purge runs on a worker thread (`db.off_loop`), never on the event loop
that serves requests; a failure is logged and tried again next time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.orm import Session, sessionmaker

from db import auth as auth_db
from db.base import utcnow
from db.off_loop import run_off_loop

__all__ = ["LOGIN_PURGE_EVERY_S", "purge_expired_logins", "purging_expired_logins"]

log = logging.getLogger(__name__)

LOGIN_PURGE_EVERY_S = 6 * 3600.0
FIRST_PURGE_AFTER_S = 60.0  # not while the process is still starting


async def purge_expired_logins(session_factory: sessionmaker[Session]) -> auth_db.PurgedLogins:
    purged = await run_off_loop(
        session_factory, lambda db: auth_db.purge_expired_logins(db, now=utcnow()), commit=True
    )
    log.info("Purged %d expired logins: %d portal sessions, %d API tokens, %d account links",
             purged.total, purged.portal_sessions, purged.api_tokens, purged.account_tokens)
    return purged


async def _purge_every(session_factory: sessionmaker[Session], every_s: float,
                       first_after_s: float) -> None:
    await asyncio.sleep(first_after_s)
    while True:
        try:
            await purge_expired_logins(session_factory)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("Purging expired logins failed; trying again in %.0f s", every_s)
        await asyncio.sleep(every_s)


@contextlib.asynccontextmanager
async def purging_expired_logins(
    session_factory: sessionmaker[Session], *, every_s: float | None,
    first_after_s: float = FIRST_PURGE_AFTER_S,
) -> AsyncIterator[None]:
    """While the context is open, purge every `every_s` seconds (None: never)."""
    if every_s is None:
        yield
        return
    task = asyncio.create_task(_purge_every(session_factory, every_s, first_after_s),
                               name="purge-expired-logins")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
