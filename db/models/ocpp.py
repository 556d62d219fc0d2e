"""What the OCPP ingest records besides sessions and meter values: connector
status history, the charging point's own (connector 0) status, per-transaction
ingest state, data transfers, anomalies worth a look, and the remote commands
users ran (DOMAIN.md §9: who asked, when, and the outcome)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime, utcnow
from db.models.charging_points import of_charging_point

__all__ = [
    "ChargingPointStatus",
    "ConnectorStatusHistory",
    "OcppAnomaly",
    "OcppDataTransfer",
    "OcppTransactionState",
    "RemoteCommand",
]


class ConnectorStatusHistory(Base):
    """Every StatusNotification as received; connector 0 is the charging point
    itself (OCPP 1.6). `Connector.status` holds the latest by charger time."""

    __tablename__ = "connector_status_history"
    __table_args__ = (
        Index("ix_connector_status_history_cp_reported", "charging_point_id", "reported_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charging_point_id: Mapped[int] = mapped_column(of_charging_point())
    connector: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    info: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(64))
    # The charger's timestamp (late messages keep theirs) and when we got it.
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChargingPointStatus(Base):
    """The charging point's own status (OCPP 1.6 connector 0), kept current."""

    __tablename__ = "charging_point_status"
    charging_point_id: Mapped[int] = mapped_column(of_charging_point(), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OcppTransactionState(Base):
    """Ingest-side state of one OCPP transaction (both protocol versions): where
    it runs, whether the session workflow was started and stopped, and with what.
    Keyed by the `ocpp_transactions` row that allocated/recorded its id."""

    __tablename__ = "ocpp_transaction_states"
    __table_args__ = (
        Index("ix_ocpp_transaction_states_open", "charging_point_id", "connector", "stopped"),
    )
    ocpp_transaction_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ocpp_transactions.id", ondelete="CASCADE"), primary_key=True
    )
    charging_point_id: Mapped[int] = mapped_column(ForeignKey("charging_points.id"))
    transaction_id: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(200))
    protocol: Mapped[str] = mapped_column(String(16))
    connector: Mapped[int] = mapped_column(Integer, default=1)
    id_tag: Mapped[str | None] = mapped_column(String(64))
    meter_start_wh: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The session workflow answered the start (gateway.start) with this status.
    session_started: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_status: Mapped[str | None] = mapped_column(String(32))
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meter_stop_wh: Mapped[int | None] = mapped_column(BigInteger)
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OcppDataTransfer(Base):
    """A vendor DataTransfer as received (we answer UnknownVendorId)."""

    __tablename__ = "ocpp_data_transfers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charging_point_id: Mapped[int] = mapped_column(of_charging_point(), index=True)
    vendor_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(String(50))
    # OCPP 1.6 sends a string, 2.0.1 any JSON value: stored as JSON text.
    data: Mapped[str | None] = mapped_column(Text)
    answer_status: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OcppAnomaly(Base):
    """Input that was accepted but deserves a look: a stop for an unknown
    transaction, a meter register that went backwards, a stop the session
    workflow did not know. Chargers retry and queue; these are not errors."""

    __tablename__ = "ocpp_anomalies"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charging_point_id: Mapped[int] = mapped_column(of_charging_point(), index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemoteCommand(Base):
    """A remote action a user ran on a charging point or connector, and its outcome.

    status: pending → accepted | rejected | timed_out | offline | failed."""

    __tablename__ = "remote_commands"
    __table_args__ = (
        Index("ix_remote_commands_cp_requested", "charging_point_id", "requested_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    charging_point_id: Mapped[int] = mapped_column(of_charging_point())
    connector: Mapped[int | None] = mapped_column(Integer)
    # Platform vocabulary (request_status, activate, deactivate, reset, remote_stop,
    # unlock) and the OCPP message it became.
    action: Mapped[str] = mapped_column(String(32))
    ocpp_action: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    node: Mapped[str | None] = mapped_column(String(100))
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # The charger's answer (its CALLRESULT payload or CALLERROR), or our reason.
    answer: Mapped[dict | None] = mapped_column(JSON)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
