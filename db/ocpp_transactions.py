"""Repository of OCPP transactions: the ingest's row per charger transaction
(its id, the session workflow it belongs to, start, stop and authorization
state), allocated on the first event and looked up by every later one.

Keyword-only functions on a caller's database session (`db`); the caller owns the
transaction (the ingest's buffered writer, or a read off the event loop)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.installation import installation_id
from db.models import MeterValue, OcppTransaction, OcppTransactionState
from domain.session_snapshot import session_workflow_id


@dataclass
class TxRow:
    pk: int
    transaction_id: str
    workflow_id: str
    connector: int
    id_tag: str | None
    meter_start_wh: int | None
    started_at: datetime | None
    session_started: bool
    auth_status: str | None
    stopped: bool
    last_energy_wh: int | None = None
    last_measured_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def refused(self) -> bool:
        """The session workflow answered and refused it (Blocked, Invalid, ...):
        the workflow is finished and the transaction is not running."""
        return self.session_started and self.auth_status != "Accepted"


_TX = OcppTransaction.__table__
_TX_STATE = OcppTransactionState.__table__
# TxRow's fields in order, up to `stopped`.
_TX_ROW_COLUMNS = (
    _TX.c.id,
    _TX.c.transaction_id,
    _TX.c.workflow_id,
    _TX_STATE.c.connector,
    _TX_STATE.c.id_tag,
    _TX_STATE.c.meter_start_wh,
    _TX_STATE.c.started_at,
    _TX_STATE.c.session_started,
    _TX_STATE.c.auth_status,
    _TX_STATE.c.stopped,
)

# Built once: a statement object reused keeps its compiled form and cache key.
_ALLOC_FIND = (
    select(*_TX_ROW_COLUMNS)
    .select_from(_TX.join(_TX_STATE, _TX_STATE.c.ocpp_transaction_id == _TX.c.id))
    .where(_TX.c.charging_point_id == bindparam("cp_id"), _TX.c.dedupe_key == bindparam("key"))
)
# The new row, unless a retry of the same start finds its key taken (then no row
# comes back and the stored one is looked up): one round trip in the usual case.
_ALLOC_CLAIM = {
    dialect: module.insert(_TX)
    .on_conflict_do_nothing(index_elements=[_TX.c.charging_point_id, _TX.c.dedupe_key])
    .returning(_TX.c.id)
    for dialect, module in (("postgresql", postgresql), ("sqlite", sqlite))
}
# PostgreSQL: the row takes its id from the sequence in the same statement, and
# with it its final transaction id and workflow id (`<prefix><id>`): no naming
# UPDATE, two round trips for a new start.
_NEXT_ID = (
    select(func.nextval(func.pg_get_serial_sequence(_TX.name, "id")).label("id"))
    .subquery("next_id")
)
_ALLOC_CLAIM_NAMED = (
    postgresql.insert(_TX)
    .from_select(
        ["id", "charging_point_id", "dedupe_key", "transaction_id", "workflow_id"],
        select(
            _NEXT_ID.c.id,
            bindparam("cp_id", type_=_TX.c.charging_point_id.type),
            bindparam("key", type_=_TX.c.dedupe_key.type),
            cast(_NEXT_ID.c.id, String),
            bindparam("prefix", type_=String()).concat(cast(_NEXT_ID.c.id, String)),
        ),
    )
    .on_conflict_do_nothing(index_elements=[_TX.c.charging_point_id, _TX.c.dedupe_key])
    .returning(_TX.c.id, _TX.c.transaction_id, _TX.c.workflow_id)
)
_ALLOC_NAME = (
    update(_TX)
    .where(_TX.c.id == bindparam("pk"))
    .values(transaction_id=bindparam("tid"), workflow_id=bindparam("wid"))
)
_STATE_INSERT = insert(_TX_STATE)


def _tx_row(tx: OcppTransaction, state: OcppTransactionState) -> TxRow:
    return TxRow(
        pk=tx.id,
        transaction_id=tx.transaction_id,
        workflow_id=tx.workflow_id,
        connector=state.connector,
        id_tag=state.id_tag,
        meter_start_wh=state.meter_start_wh,
        started_at=state.started_at,
        session_started=state.session_started,
        auth_status=state.auth_status,
        stopped=state.stopped,
        stopped_at=state.stopped_at,
    )


def allocate_v16(
    db: Session,
    *,
    cp_id: int,
    ocpp_id: str,
    connector: int,
    id_tag: str,
    meter_start: int,
    timestamp_raw: str,
    started_at: datetime,
    reported_at: datetime | None = None,
) -> TxRow:
    """The integer transaction id of an OCPP 1.6 StartTransaction. A retried
    StartTransaction (same connector, tag, meter and instant) gets the same id: the
    key holds the instant the charger reported (`reported_at`, in UTC), so a retry
    that spells it differently (`+00:00` / `Z`, another offset) is still the same
    transaction. `started_at` is the time the session uses (the reported one, or
    the receive time when the reported one was impossible)."""
    instant = (reported_at or started_at).astimezone(UTC).isoformat()
    key = f"{connector}:{id_tag}:{meter_start}:{instant}"
    # Core statements (this runs for every StartTransaction): no ORM objects, no
    # unit-of-work flushes. A new start: two round trips on PostgreSQL, three on
    # SQLite (in process); a retry: two.
    connection = db.connection()
    installation = installation_id(db)
    prefix = session_workflow_id(ocpp_id, "", installation)
    if connection.dialect.name == "postgresql" and (
        session_workflow_id(ocpp_id, "7", installation) == f"{prefix}7"
    ):
        claimed = connection.execute(
            _ALLOC_CLAIM_NAMED, {"cp_id": cp_id, "key": key, "prefix": prefix}
        ).first()
        if claimed is None:  # a retried start: the key is taken
            return TxRow(*connection.execute(_ALLOC_FIND, {"cp_id": cp_id, "key": key}).one())
        pk, transaction_id, workflow_id = claimed
        return _insert_state(
            connection, pk, transaction_id, workflow_id, cp_id=cp_id, connector=connector,
            id_tag=id_tag, meter_start=meter_start, started_at=started_at,
        )
    claimed = connection.execute(
        _ALLOC_CLAIM[connection.dialect.name],
        {
            "charging_point_id": cp_id,
            "dedupe_key": key,
            "transaction_id": "",
            "workflow_id": f"allocating:{uuid.uuid4()}",
        },
    ).first()
    if claimed is None:  # a retried start: the key is taken
        return TxRow(*connection.execute(_ALLOC_FIND, {"cp_id": cp_id, "key": key}).one())
    pk = claimed.id  # the row id is the transaction id
    transaction_id = str(pk)
    workflow_id = session_workflow_id(ocpp_id, transaction_id, installation)
    connection.execute(_ALLOC_NAME, {"pk": pk, "tid": transaction_id, "wid": workflow_id})
    return _insert_state(
        connection, pk, transaction_id, workflow_id, cp_id=cp_id, connector=connector,
        id_tag=id_tag, meter_start=meter_start, started_at=started_at,
    )


def _insert_state(
    connection, pk, transaction_id, workflow_id, *, cp_id, connector, id_tag, meter_start,
    started_at,
) -> TxRow:
    connection.execute(
        _STATE_INSERT,
        {
            "ocpp_transaction_id": pk,
            "charging_point_id": cp_id,
            "transaction_id": transaction_id,
            "workflow_id": workflow_id,
            "protocol": "ocpp1.6",
            "connector": connector,
            "id_tag": id_tag,
            "meter_start_wh": meter_start,
            "started_at": started_at,
        },
    )
    return TxRow(
        pk=pk,
        transaction_id=transaction_id,
        workflow_id=workflow_id,
        connector=connector,
        id_tag=id_tag,
        meter_start_wh=meter_start,
        started_at=started_at,
        session_started=False,
        auth_status=None,
        stopped=False,
    )


def ensure_v201(
    db: Session,
    *,
    cp_id: int,
    ocpp_id: str,
    transaction_id: str,
    connector: int | None,
    started_at: datetime | None,
    reused: bool = False,
) -> tuple[TxRow, bool]:
    """Record an OCPP 2.0.1 transaction (the charger's own id) on its first event,
    whichever that is (events may arrive late or out of order). `reused`: the
    charger started a new transaction with the id of a finished one (its counter
    was reset); it gets a row and a workflow of its own, `<id>#<n>`."""
    found = load_tx(db, cp_id=cp_id, transaction_id=transaction_id)
    if found and not (reused and found.stopped):
        return found, False
    key = transaction_id
    if found:
        earlier = db.scalar(
            select(func.count()).select_from(_TX_STATE).where(
                _TX_STATE.c.charging_point_id == cp_id,
                _TX_STATE.c.transaction_id == transaction_id,
            )
        )
        key = f"{transaction_id}#{earlier + 1}"
    tx = OcppTransaction(
        charging_point_id=cp_id,
        dedupe_key=key,
        transaction_id=transaction_id,
        workflow_id=session_workflow_id(ocpp_id, key, installation_id(db)),
    )
    db.add(tx)
    db.flush()
    state = OcppTransactionState(
        ocpp_transaction_id=tx.id,
        charging_point_id=cp_id,
        transaction_id=transaction_id,
        workflow_id=tx.workflow_id,
        protocol="ocpp2.0.1",
        connector=connector or 1,
        started_at=started_at,
    )
    db.add(state)
    db.flush()
    return _tx_row(tx, state), True


def load_tx(db: Session, *, cp_id: int, transaction_id: str) -> TxRow | None:
    found = db.execute(
        select(OcppTransaction, OcppTransactionState)
        .join(OcppTransactionState, OcppTransactionState.ocpp_transaction_id == OcppTransaction.id)
        .where(
            OcppTransaction.charging_point_id == cp_id,
            OcppTransactionState.transaction_id == transaction_id,
        )
        .order_by(OcppTransaction.id.desc())  # the latest, should a charger reuse an id
        .limit(1)
    ).first()
    if not found:
        return None
    row = _tx_row(*found)
    last = db.execute(
        select(MeterValue.energy_wh, MeterValue.measured_at)
        .where(
            MeterValue.workflow_id == row.workflow_id,
            MeterValue.regressed.is_(False),
            MeterValue.energy_wh.is_not(None),
        )
        .order_by(MeterValue.measured_at.desc())
        .limit(1)
    ).first()
    if last:
        row.last_energy_wh, row.last_measured_at = last.energy_wh, last.measured_at
    return row


_UPDATE_TX: dict[tuple[str, ...], Any] = {}


def update_tx(db: Session, *, pk: int, values: dict) -> None:
    """A Core UPDATE (this runs for every start and stop); an object of the same
    row already loaded in this session (an allocation earlier in the same batch)
    gets the values too, as an ORM update would give it."""
    keys = tuple(values)
    stmt = _UPDATE_TX.get(keys)
    if stmt is None:
        t = OcppTransactionState.__table__
        stmt = _UPDATE_TX[keys] = (
            update(t)
            .where(t.c.ocpp_transaction_id == bindparam("pk_"))
            .values({k: bindparam(f"v_{k}") for k in keys})
        )
    db.connection().execute(stmt, {"pk_": pk, **{f"v_{k}": v for k, v in values.items()}})
    loaded = db.identity_map.get(db.identity_key(OcppTransactionState, pk))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


def active_transaction(db: Session, *, cp_id: int, connector: int) -> TxRow | None:
    """The running transaction of a connector (the latest not stopped). A start
    the session workflow refused (Blocked, Invalid, ...) is not running, even
    though the charger never sends a stop for it."""
    state = db.execute(
        select(OcppTransactionState)
        .where(
            OcppTransactionState.charging_point_id == cp_id,
            OcppTransactionState.connector == connector,
            OcppTransactionState.stopped.is_(False),
            or_(
                OcppTransactionState.session_started.is_(False),
                OcppTransactionState.auth_status == "Accepted",
            ),
        )
        .order_by(
            OcppTransactionState.created_at.desc(), OcppTransactionState.ocpp_transaction_id.desc()
        )
        .limit(1)
    ).scalar_one_or_none()
    if state is None:
        return None
    row = load_tx(db, cp_id=cp_id, transaction_id=state.transaction_id)
    if row is not None and row.pk != state.ocpp_transaction_id:
        return None  # a finished transaction whose id the charger has reused since
    return row
