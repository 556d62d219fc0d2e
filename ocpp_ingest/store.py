"""Synchronous database work of the ingest. Writes run on the buffered writer's
thread (`ocpp_ingest.writer`), reads through `asyncio.to_thread`; nothing here
touches the event loop."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, insert, or_, select, update
from sqlalchemy.orm import Session

from db.base import UTCDateTime, utcnow
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
from domain.enums import ChargingPointState as State
from workflows.session_types import session_workflow_id


@dataclass(frozen=True)
class AuthRow:
    id: int
    state: str
    password_hash: str | None


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


# -- connections ---------------------------------------------------------------


def load_auth(session: Session, ocpp_id: str) -> AuthRow | None:
    row = session.execute(
        select(ChargingPoint.id, ChargingPoint.state, ChargingPoint.password_hash).where(
            ChargingPoint.ocpp_id == ocpp_id
        )
    ).first()
    return None if row is None else AuthRow(row.id, str(row.state), row.password_hash)


def on_connect(
    session: Session,
    *,
    ocpp_id: str,
    protocol: str,
    node: str,
    now: datetime,
    set_password_hash: str | None = None,
) -> int:
    """Mark the charger online on this node; an unknown charger becomes *pending*
    (DOMAIN.md §9: held so it can be claimed). Returns the charging point id."""
    cp = session.execute(
        select(ChargingPoint).where(ChargingPoint.ocpp_id == ocpp_id)
    ).scalar_one_or_none()
    if cp is None:
        cp = ChargingPoint(ocpp_id=ocpp_id, state=State.PENDING, name=ocpp_id)
        session.add(cp)
    if set_password_hash and not cp.password_hash:
        cp.password_hash = set_password_hash  # first use of a charger without one
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


def record_boot(
    session: Session,
    *,
    cp_id: int,
    vendor: str | None,
    model: str | None,
    firmware_version: str | None,
    serial_number: str | None,
    now: datetime,
) -> str:
    """Record what the charger says it is; the first accepted boot of a
    pre-approved charging point completes onboarding and starts its billable
    period (DOMAIN.md §6, §9). Returns the OCPP RegistrationStatus."""
    cp = session.get(ChargingPoint, cp_id)
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
    session.execute(
        insert(ConnectorStatusHistory),
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
    t = Connector.__table__
    mine = (t.c.charging_point_id == cp_id, t.c.number == connector)
    updated = session.execute(
        update(t)
        .where(*mine, or_(t.c.status_at.is_(None), t.c.status_at <= reported_at))
        .values(status=status, status_at=reported_at)
    ).rowcount
    if not updated and session.execute(select(t.c.id).where(*mine)).first() is None:
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
) -> TxRow:
    """The integer transaction id of an OCPP 1.6 StartTransaction. A retried
    StartTransaction (same connector, tag, meter and timestamp) gets the same id."""
    key = f"{connector}:{id_tag}:{meter_start}:{timestamp_raw}"
    found = session.execute(
        select(OcppTransaction, OcppTransactionState)
        .join(OcppTransactionState, OcppTransactionState.ocpp_transaction_id == OcppTransaction.id)
        .where(OcppTransaction.charging_point_id == cp_id, OcppTransaction.dedupe_key == key)
    ).first()
    if found:
        return _tx_row(*found)
    tx = OcppTransaction(
        charging_point_id=cp_id,
        dedupe_key=key,
        transaction_id="",
        workflow_id=f"allocating:{uuid.uuid4()}",
    )
    session.add(tx)
    session.flush()  # the row id is the transaction id
    tx.transaction_id = str(tx.id)
    tx.workflow_id = session_workflow_id(ocpp_id, tx.transaction_id)
    state = OcppTransactionState(
        ocpp_transaction_id=tx.id,
        charging_point_id=cp_id,
        transaction_id=tx.transaction_id,
        workflow_id=tx.workflow_id,
        protocol="ocpp1.6",
        connector=connector,
        id_tag=id_tag,
        meter_start_wh=meter_start,
        started_at=started_at,
    )
    session.add(state)
    session.flush()
    return _tx_row(tx, state)


def ensure_v201(
    session: Session,
    *,
    cp_id: int,
    ocpp_id: str,
    transaction_id: str,
    connector: int | None,
    started_at: datetime | None,
) -> tuple[TxRow, bool]:
    """Record an OCPP 2.0.1 transaction (the charger's own id) on its first event,
    whichever that is (events may arrive late or out of order)."""
    found = load_tx(session, cp_id=cp_id, transaction_id=transaction_id)
    if found:
        return found, False
    tx = OcppTransaction(
        charging_point_id=cp_id,
        dedupe_key=transaction_id,
        transaction_id=transaction_id,
        workflow_id=session_workflow_id(ocpp_id, transaction_id),
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


def update_tx(session: Session, *, pk: int, values: dict) -> None:
    session.execute(
        update(OcppTransactionState)
        .where(OcppTransactionState.ocpp_transaction_id == pk)
        .values(**values)
    )


def active_transaction(session: Session, *, cp_id: int, connector: int) -> TxRow | None:
    """The running transaction of a connector (the latest not stopped)."""
    state = session.execute(
        select(OcppTransactionState)
        .where(
            OcppTransactionState.charging_point_id == cp_id,
            OcppTransactionState.connector == connector,
            OcppTransactionState.stopped.is_(False),
        )
        .order_by(
            OcppTransactionState.created_at.desc(), OcppTransactionState.ocpp_transaction_id.desc()
        )
        .limit(1)
    ).scalar_one_or_none()
    if state is None:
        return None
    return load_tx(session, cp_id=cp_id, transaction_id=state.transaction_id)
