"""Remote commands with several ingest nodes: a command runs on the node whose
socket owns the charger's row now, and is given up (`offline`) as soon as the
charger leaves that socket (it reconnected elsewhere, or its node died and the
lease ran out) rather than when the dead node's queue times out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db import ocpp_nodes
from db.base import utcnow

log = logging.getLogger(__name__)

# The owner is checked this often while a command runs; once the charger has
# moved, an answer already on its way (a reset's, then the charger reconnects)
# is still taken for this long.
OWNER_CHECK_S, MOVED_GRACE_S = 0.25, 1.0


def current_owner(session: Session, *, cp_id: int) -> ocpp_nodes.Owner | None:
    """Who holds the charger's socket now (None: nobody alive does)."""
    return ocpp_nodes.current_owner(session, cp_id=cp_id, now=utcnow())


@dataclass(frozen=True)
class Answered:
    result: object


async def result_unless_moved(
    handle, read_owner: Callable[[], Awaitable[ocpp_nodes.Owner | None]], owner
) -> Answered | None:
    """The workflow's result, or None when `read_owner()` stops answering `owner`
    first (the workflow is then terminated: its node no longer has the socket).
    Errors of the workflow are raised."""
    result = asyncio.ensure_future(handle.result())
    watch = asyncio.ensure_future(_until_owner_changes(read_owner, owner))
    try:
        await asyncio.wait({result, watch}, return_when=asyncio.FIRST_COMPLETED)
        if not result.done():
            await asyncio.wait({result}, timeout=MOVED_GRACE_S)
    finally:
        watch.cancel()
    if result.done():
        return Answered(result.result())
    result.cancel()
    with contextlib.suppress(Exception):
        await handle.terminate("the charger left the node")
    return None


async def _until_owner_changes(read_owner, owner) -> None:
    while True:
        await asyncio.sleep(OWNER_CHECK_S)
        try:
            now = await read_owner()
        except Exception:  # noqa: BLE001 - the command's own timeout still holds
            log.warning("remote command: owner check failed", exc_info=True)
            continue
        if now != owner:
            return
