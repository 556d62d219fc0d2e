"""Charger ownership written straight to the database, as an ingest node writes
it (db.ocpp_connections, db.ocpp_nodes): for the tests of which node owns a
charger."""

from __future__ import annotations

from datetime import datetime, timedelta

from db import ocpp_connections, ocpp_nodes
from db.base import utcnow


def write(session_factory, fn, **kwargs):
    """`fn(session, **kwargs)` in a transaction of its own; its result."""
    with session_factory() as s, s.begin():
        return fn(s, **kwargs)


def connect(session_factory, ocpp_id: str, node: str, connection: str, *, now: datetime) -> int:
    """The 1.6 charger `ocpp_id` connected at `now` to `node` on socket `connection`."""
    return write(
        session_factory, ocpp_connections.on_connect,
        ocpp_id=ocpp_id, protocol="ocpp1.6", node=node, now=now, connection=connection,
    )


def lease(session_factory, node: str, seconds: float) -> None:
    """`node`'s lease renewed now for `seconds` (negative: it ran out)."""
    now = utcnow()
    write(session_factory, ocpp_nodes.renew_lease, node=node, now=now,
          until=now + timedelta(seconds=seconds))
