"""Synchronous database work of the ingest. Writes run on the buffered writer's
thread (`ocpp_ingest.writer`), reads through `asyncio.to_thread`; nothing here
touches the event loop."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.base import UTCDateTime, utcnow
from db.installation import installation_id
from db.models import (
    ChargingPoint,
    ChargingPointStatus,
    Connector,
    ConnectorStatusHistory,
    MeterValue,
    OcppAnomaly,
    OcppDataTransfer,
    OcppTransaction,
    OcppTransactionState,
)
from domain.charger_ids import ocpp_id_key
from domain.enums import ChargingPointState as State
from workflows.session_types import session_workflow_id


@dataclass(frozen=True)
class AuthRow:
    id: int
    state: str
    password_hash: str | None
    ocpp_id: str  # as registered (a charger may present it in another case)


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


# -- connections ---------------------------------------------------------------


_AUTH_COLUMNS = (
    ChargingPoint.id,
    ChargingPoint.state,
    ChargingPoint.password_hash,
    ChargingPoint.ocpp_id,
)


def load_auth(session: Session, ocpp_id: str) -> AuthRow | None:
    """The charging point `ocpp_id` names; ids equal but for case are the same
    charger (`domain.charger_ids`). The exact spelling is looked up first (the
    indexed, usual case)."""
    row = session.execute(select(*_AUTH_COLUMNS).where(ChargingPoint.ocpp_id == ocpp_id)).first()
    if row is None:
        row = session.execute(
            select(*_AUTH_COLUMNS).where(func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id))
        ).first()
    if row is None:
        return None
    return AuthRow(row.id, str(row.state), row.password_hash, row.ocpp_id)


def load_auth_many(session: Session, ocpp_ids: list[str]) -> dict[str, AuthRow | None]:
    """`load_auth` for many ids in one query (a reconnect storm's handshakes are
    batched, see `ocpp_ingest.admission.AuthLoader`)."""
    found = {
        row.ocpp_id: AuthRow(row.id, str(row.state), row.password_hash, row.ocpp_id)
        for row in session.execute(
            select(*_AUTH_COLUMNS).where(ChargingPoint.ocpp_id.in_(ocpp_ids))
        )
    }
    return {i: found[i] if i in found else load_auth(session, i) for i in ocpp_ids}


def count_pending(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(ChargingPoint).where(ChargingPoint.state == State.PENDING)
    )


def replace_password_hash(session: Session, *, cp_id: int, old: str, new: str) -> None:
    """A legacy (argon2) hash that just matched becomes the fast form, unless the
    password was changed meanwhile."""
    t = ChargingPoint.__table__
    session.execute(
        update(t).where(t.c.id == cp_id, t.c.password_hash == old).values(password_hash=new)
    )


_CP = ChargingPoint.__table__
_ONLINE = (
    update(_CP)
    .where(_CP.c.id == bindparam("b_id"))
    .values(
        online=True,
        connected_node=bindparam("b_node"),
        last_seen_at=bindparam("b_now", type_=UTCDateTime()),
        ocpp_protocol=bindparam("b_protocol"),
        state=case(
            (_CP.c.state == State.OFFLINE.value, State.CONNECTED.value), else_=_CP.c.state
        ),
    )
)


def on_connect(
    session: Session,
    *,
    ocpp_id: str,
    protocol: str,
    node: str,
    now: datetime,
    set_password_hash: str | None = None,
    cp_id: int | None = None,
) -> int:
    """Mark the charger online on this node; an unknown charger becomes *pending*
    (DOMAIN.md §9: held so it can be claimed). Returns the charging point id.

    `set_password_hash` is the hash of the password this socket presented, stored
    for a charger without one and for a *pending* one: until it is claimed, the
    device connected now is the one whose password a claim must prove
    (`ocpp_ingest.onboarding`), so an impostor that came first locks nobody out.

    `cp_id`: the row the upgrade authenticated against; a known charger with no
    hash to store is marked with one Core statement (a reconnect storm runs this
    thousands of times)."""
    if cp_id is not None and not set_password_hash:
        marked = session.connection().execute(
            _ONLINE,
            {"b_id": cp_id, "b_node": node, "b_now": now, "b_protocol": protocol},
        )
        if marked.rowcount:
            return cp_id
    cp = session.execute(
        select(ChargingPoint).where(ChargingPoint.ocpp_id == ocpp_id)
    ).scalar_one_or_none() or session.execute(
        select(ChargingPoint).where(func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id))
    ).scalar_one_or_none()
    if cp is None:
        cp = ChargingPoint(ocpp_id=ocpp_id, state=State.PENDING, name=ocpp_id)
        session.add(cp)
    if set_password_hash and (not cp.password_hash or cp.state == State.PENDING):
        cp.password_hash = set_password_hash
    cp.online = True
    cp.connected_node = node
    cp.last_seen_at = now
    cp.ocpp_protocol = protocol
    if cp.state == State.OFFLINE:
        cp.state = State.CONNECTED
    session.flush()
    return cp.id


def on_disconnect(session: Session, *, cp_id: int, node: str, now: datetime) -> None:
    """Offline, unless another node (or a newer socket) holds it by now."""
    t = ChargingPoint.__table__
    session.execute(
        update(t)
        .where(t.c.id == cp_id, t.c.connected_node == node)
        .values(
            online=False,
            connected_node=None,
            last_seen_at=now,
            state=case((t.c.state == State.CONNECTED.value, State.OFFLINE.value), else_=t.c.state),
        )
    )


def touch_many(session: Session, *, node: str, seen: dict[int, datetime]) -> None:
    """Coalesced last_seen_at updates; a charger heard from is online again."""
    if not seen:
        return
    t = ChargingPoint.__table__
    stmt = (
        update(t)
        .where(t.c.id == bindparam("cp_id"))
        .values(
            last_seen_at=bindparam("ts", type_=UTCDateTime()),
            online=True,
            connected_node=node,
            state=case((t.c.state == State.OFFLINE.value, State.CONNECTED.value), else_=t.c.state),
        )
    )
    session.connection().execute(stmt, [{"cp_id": k, "ts": v} for k, v in seen.items()])


def sweep_offline(session: Session, *, cutoff: datetime, keep: list[int] = ()) -> list[str]:
    """Chargers silent since before `cutoff` are offline (except `keep`: the
    caller knows they are alive); returns their OCPP ids."""
    t = ChargingPoint.__table__
    silent = [t.c.online.is_(True), t.c.last_seen_at < cutoff]
    if keep:
        silent.append(t.c.id.not_in(list(keep)))
    ids = session.execute(select(t.c.ocpp_id).where(*silent)).scalars().all()
    if ids:
        session.execute(
            update(t)
            .where(*silent)
            .values(
                online=False,
                connected_node=None,
                state=case(
                    (t.c.state == State.CONNECTED.value, State.OFFLINE.value), else_=t.c.state
                ),
            )
        )
    return list(ids)


# -- messages ------------------------------------------------------------------

# Built once: a statement object reused keeps its compiled form and cache key.
_STATUS_HISTORY_INSERT = insert(ConnectorStatusHistory.__table__)
_C = Connector.__table__
_CONNECTOR_MINE = (
    _C.c.charging_point_id == bindparam("cp_id"),
    _C.c.number == bindparam("b_number"),
)
_CONNECTOR_STATUS_UPDATE = (
    update(_C)
    .where(
        *_CONNECTOR_MINE,
        or_(_C.c.status_at.is_(None), _C.c.status_at <= bindparam("b_at", type_=UTCDateTime())),
    )
    .values(status=bindparam("b_status"), status_at=bindparam("b_at", type_=UTCDateTime()))
)
_CONNECTOR_FIND = select(_C.c.id).where(*_CONNECTOR_MINE)


def record_boot(
    session: Session,
    *,
    cp_id: int,
    vendor: str | None,
    model: str | None,
    firmware_version: str | None,
    serial_number: str | None,
    now: datetime,
    password_hash: str | None = None,
) -> str:
    """Record what the charger says it is; the first accepted boot of a
    pre-approved charging point completes onboarding and starts its billable
    period (DOMAIN.md §6, §9). Returns the OCPP RegistrationStatus.

    `password_hash` is the hash this socket was admitted with: when the stored one
    differs (a claim set the owner's password, or it was changed), this socket
    did not prove the current password and is `Rejected`."""
    cp = session.get(ChargingPoint, cp_id)
    if password_hash is not None and cp.password_hash != password_hash:
        return "Rejected"
    if cp.ocpp_protocol == "ocpp2.0.1":
        # A 2.0.1 station reports its availability per connector after a boot; a
        # station-level status (evse 0) from before the boot no longer holds.
        station = session.get(ChargingPointStatus, cp_id)
        if station is not None:
            session.delete(station)
    cp.vendor, cp.model = vendor, model
    cp.firmware_version = firmware_version
    cp.serial_number = serial_number or cp.serial_number
    if cp.state == State.REMOVED:
        return "Rejected"
    if cp.state == State.PENDING:
        return "Pending"  # unclaimed: it retries boot until someone adds it
    if cp.state in (State.PRE_APPROVED, State.OFFLINE):
        cp.state = State.CONNECTED
    if cp.first_connected_at is None:
        cp.first_connected_at = now  # never overwritten afterwards
    return "Accepted"


def record_status(
    session: Session,
    *,
    cp_id: int,
    connector: int,
    status: str,
    error_code: str | None,
    info: str | None,
    vendor_error_code: str | None,
    reported_at: datetime,
) -> None:
    """History always; the current status only if this report is not older than
    the one we hold (queued messages arrive late). Core statements: this runs for
    every StatusNotification of every charger."""
    connection = session.connection()
    connection.execute(
        _STATUS_HISTORY_INSERT,
        [
            {
                "charging_point_id": cp_id,
                "connector": connector,
                "status": status,
                "error_code": error_code,
                "info": info[:255] if info else None,
                "vendor_error_code": vendor_error_code,
                "reported_at": reported_at,
                "received_at": utcnow(),
            }
        ],
    )
    if connector <= 0:
        current = session.get(ChargingPointStatus, cp_id)
        if current is None:
            session.add(
                ChargingPointStatus(
                    charging_point_id=cp_id,
                    status=status,
                    error_code=error_code,
                    status_at=reported_at,
                )
            )
        elif reported_at >= current.status_at:
            current.status, current.error_code, current.status_at = status, error_code, reported_at
        return
    params = {"cp_id": cp_id, "b_number": connector, "b_status": status, "b_at": reported_at}
    updated = connection.execute(_CONNECTOR_STATUS_UPDATE, params).rowcount
    if not updated and connection.execute(_CONNECTOR_FIND, params).first() is None:
        session.add(
            Connector(
                charging_point_id=cp_id, number=connector, status=status, status_at=reported_at
            )
        )


def record_data_transfer(
    session: Session,
    *,
    cp_id: int,
    vendor_id: str,
    message_id: str | None,
    data,
    answer_status: str,
) -> None:
    if data is not None and not isinstance(data, str):
        data = json.dumps(data)
    session.add(
        OcppDataTransfer(
            charging_point_id=cp_id,
            vendor_id=vendor_id,
            message_id=message_id,
            data=data,
            answer_status=answer_status,
        )
    )


def record_anomaly(
    session: Session,
    *,
    cp_id: int,
    kind: str,
    transaction_id: str | None = None,
    detail: dict | None = None,
) -> None:
    session.add(
        OcppAnomaly(
            charging_point_id=cp_id,
            kind=kind,
            transaction_id=transaction_id,
            detail=detail or {},
        )
    )


# -- transactions --------------------------------------------------------------


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
_ALLOC_INSERT = insert(_TX)
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
    session: Session,
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
    # unit-of-work flushes; the same rows and the same statements' effect.
    connection = session.connection()
    found = connection.execute(_ALLOC_FIND, {"cp_id": cp_id, "key": key}).first()
    if found:
        return TxRow(*found)
    pk = connection.execute(
        _ALLOC_INSERT,
        {
            "charging_point_id": cp_id,
            "dedupe_key": key,
            "transaction_id": "",
            "workflow_id": f"allocating:{uuid.uuid4()}",
        },
    ).inserted_primary_key[0]  # the row id is the transaction id
    transaction_id = str(pk)
    workflow_id = session_workflow_id(ocpp_id, transaction_id, installation_id(session))
    connection.execute(_ALLOC_NAME, {"pk": pk, "tid": transaction_id, "wid": workflow_id})
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
    session: Session,
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
    found = load_tx(session, cp_id=cp_id, transaction_id=transaction_id)
    if found and not (reused and found.stopped):
        return found, False
    key = transaction_id
    if found:
        earlier = session.scalar(
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
        workflow_id=session_workflow_id(ocpp_id, key, installation_id(session)),
    )
    session.add(tx)
    session.flush()
    state = OcppTransactionState(
        ocpp_transaction_id=tx.id,
        charging_point_id=cp_id,
        transaction_id=transaction_id,
        workflow_id=tx.workflow_id,
        protocol="ocpp2.0.1",
        connector=connector or 1,
        started_at=started_at,
    )
    session.add(state)
    session.flush()
    return _tx_row(tx, state), True


def load_tx(session: Session, *, cp_id: int, transaction_id: str) -> TxRow | None:
    found = session.execute(
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
    last = session.execute(
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


def update_tx(session: Session, *, pk: int, values: dict) -> None:
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
    session.connection().execute(stmt, {"pk_": pk, **{f"v_{k}": v for k, v in values.items()}})
    loaded = session.identity_map.get(session.identity_key(OcppTransactionState, pk))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


def active_transaction(session: Session, *, cp_id: int, connector: int) -> TxRow | None:
    """The running transaction of a connector (the latest not stopped). A start
    the session workflow refused (Blocked, Invalid, ...) is not running, even
    though the charger never sends a stop for it."""
    state = session.execute(
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
    row = load_tx(session, cp_id=cp_id, transaction_id=state.transaction_id)
    if row is not None and row.pk != state.ocpp_transaction_id:
        return None  # a finished transaction whose id the charger has reused since
    return row


def first_connected_at(session: Session, *, cp_id: int) -> datetime | None:
    return session.scalar(select(ChargingPoint.first_connected_at).where(ChargingPoint.id == cp_id))
