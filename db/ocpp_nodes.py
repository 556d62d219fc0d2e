"""Repository of ingest node leases and of who holds a charger's socket now
(several ingest nodes, ARCHITECTURE.md "How it runs"). A node renews its lease
while it runs and ends it when it stops; a node past its lease has crashed, and
a charger whose row still names it is not connected.

Keyword-only functions on a caller's database session (`db`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ChargingPoint, OcppNode


def renew_lease(db: Session, *, node: str, now: datetime, until: datetime) -> None:
    """Node `node` is alive until `until` (created on its first renewal)."""
    row = db.get(OcppNode, node)
    if row is None:
        db.add(OcppNode(node_id=node, started_at=now, alive_until=until))
    else:
        row.alive_until = until


@dataclass(frozen=True)
class Owner:
    """Who holds a charger's socket: the node and the socket (`connection_id`)."""

    node: str
    connection: str | None


def current_owner(db: Session, *, cp_id: int, now: datetime) -> Owner | None:
    """The node holding the charger's socket now, or None: offline, or its node is
    past its lease (a node that never took one is trusted on the row's word)."""
    row = db.execute(
        select(ChargingPoint.connected_node, ChargingPoint.connection_id, OcppNode.alive_until)
        .outerjoin(OcppNode, OcppNode.node_id == ChargingPoint.connected_node)
        .where(ChargingPoint.id == cp_id, ChargingPoint.online.is_(True))
    ).first()
    if row is None or row.connected_node is None:
        return None
    if row.alive_until is not None and row.alive_until < now:
        return None
    return Owner(row.connected_node, row.connection_id)
