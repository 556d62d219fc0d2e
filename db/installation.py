"""This database's installation id: generated once, stored in the `installation`
table, and part of every session workflow id (`session_workflow_id`).

Workflow ids are derived from charger and transaction so that retries reach one
workflow; the 1.6 transaction id is this database's row id and a 2.0.1 one is the
charger's own. Against a Temporal cluster that outlived its database (a restore, a
migration, a second environment on one cluster) those ids repeat, and a new
session would be answered from an old, finished workflow. The installation id
keeps them apart; one Temporal namespace per environment (docs/decisions.md)
keeps environments apart as well."""

from __future__ import annotations

import secrets
import weakref

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import ChargingPoint, Installation, OcppTransactionState

# Per engine: the id never changes once stored, and the ingest asks for it on
# every transaction it allocates.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def installation_id(session: Session) -> str:
    """The stored id, created on first use. Two processes racing on first use
    agree: the row has a fixed key, the loser's insert fails and it reads."""
    engine = session.get_bind().engine
    cached = _CACHE.get(engine)
    if cached is not None:
        return cached
    value = session.scalar(select(Installation.installation_id))
    if value is not None:
        _CACHE[engine] = value  # committed by someone: it never changes again
        return value
    try:
        with session.begin_nested():
            session.add(Installation(singleton=1, installation_id=secrets.token_hex(6)))
    except IntegrityError:
        pass
    # Not cached yet: the caller's transaction may still roll back.
    return session.scalar(select(Installation.installation_id))


def running_workflow_id(session: Session, *, ocpp_id: str, transaction_id: str) -> str | None:
    """The workflow id the ingest recorded for a charger's transaction (the latest
    one with that id: a charger whose counter was reset reuses ids)."""
    return session.scalar(
        select(OcppTransactionState.workflow_id)
        .join(ChargingPoint, ChargingPoint.id == OcppTransactionState.charging_point_id)
        .where(
            ChargingPoint.ocpp_id == ocpp_id,
            OcppTransactionState.transaction_id == transaction_id,
        )
        .order_by(OcppTransactionState.ocpp_transaction_id.desc())
        .limit(1)
    )
