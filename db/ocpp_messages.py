"""Repository of what chargers report besides transactions: connector status
(history and current), DataTransfer payloads and anomalies (messages that were
impossible or odd, kept for review).

Keyword-only functions on a caller's database session (`db`); the caller owns the
transaction (the ingest's buffered writer)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from db.base import UTCDateTime, utcnow
from db.models import ChargingPointStatus, Connector, OcppAnomaly, OcppDataTransfer

# Built once: a statement object reused keeps its compiled form and cache key.
_C = Connector.__table__
_CONNECTOR_MINE = (
    _C.c.charging_point_id == bindparam("cp_id"),
    _C.c.number == bindparam("b_number"),
)
# A connector's current status, set only if this report is not older than the one
# held (queued messages arrive late). One statement for every report, so the
# ingest's writer sends a batch of them as one executemany.
CONNECTOR_STATUS_UPDATE = (
    update(_C)
    .where(
        *_CONNECTOR_MINE,
        or_(_C.c.status_at.is_(None), _C.c.status_at <= bindparam("b_at", type_=UTCDateTime())),
    )
    .values(status=bindparam("b_status"), status_at=bindparam("b_at", type_=UTCDateTime()))
)
_CONNECTOR_FIND = select(_C.c.id).where(*_CONNECTOR_MINE)


def status_history_row(
    *,
    cp_id: int,
    connector: int,
    status: str,
    error_code: str | None,
    info: str | None,
    vendor_error_code: str | None,
    reported_at: datetime,
) -> dict:
    """The history row of a status report: every report is kept (a plain row for
    the writer's batched insert)."""
    return {
        "charging_point_id": cp_id,
        "connector": connector,
        "status": status,
        "error_code": error_code,
        "info": info[:255] if info else None,
        "vendor_error_code": vendor_error_code,
        "reported_at": reported_at,
        "received_at": utcnow(),
    }


def connector_status_params(
    *, cp_id: int, connector: int, status: str, reported_at: datetime
) -> dict:
    return {"cp_id": cp_id, "b_number": connector, "b_status": status, "b_at": reported_at}


def add_unknown_connector(db: Session, params: dict) -> None:
    """After `CONNECTOR_STATUS_UPDATE` matched no row for `params`: a connector
    the charging point did not have yet is added with the reported status (one
    that exists holds a newer report, and keeps it)."""
    if db.connection().execute(_CONNECTOR_FIND, params).first() is None:
        db.add(
            Connector(
                charging_point_id=params["cp_id"],
                number=params["b_number"],
                status=params["b_status"],
                status_at=params["b_at"],
            )
        )
        db.flush()  # seen by the next report of the same batch


def record_station_status(
    db: Session, *, cp_id: int, status: str, error_code: str | None, reported_at: datetime
) -> None:
    """The charging point's own status (connector 0), only if this report is not
    older than the one held (queued messages arrive late)."""
    current = db.get(ChargingPointStatus, cp_id)
    if current is None:
        db.add(
            ChargingPointStatus(
                charging_point_id=cp_id,
                status=status,
                error_code=error_code,
                status_at=reported_at,
            )
        )
    elif reported_at >= current.status_at:
        current.status, current.error_code, current.status_at = status, error_code, reported_at


def record_data_transfer(
    db: Session,
    *,
    cp_id: int,
    vendor_id: str,
    message_id: str | None,
    data,
    answer_status: str,
) -> None:
    if data is not None and not isinstance(data, str):
        data = json.dumps(data)
    db.add(
        OcppDataTransfer(
            charging_point_id=cp_id,
            vendor_id=vendor_id,
            message_id=message_id,
            data=data,
            answer_status=answer_status,
        )
    )


def record_anomaly(
    db: Session,
    *,
    cp_id: int,
    kind: str,
    transaction_id: str | None = None,
    detail: dict | None = None,
) -> None:
    db.add(
        OcppAnomaly(
            charging_point_id=cp_id,
            kind=kind,
            transaction_id=transaction_id,
            detail=detail or {},
        )
    )
