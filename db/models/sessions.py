"""Charging sessions (one per OCPP transaction; the finished, priced row is the
charge detail record) and the meter values the ingest stores in batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime, utcnow

__all__ = ["ChargingSession", "MeterValue", "OcppTransaction"]


class OcppTransaction(Base):
    """Transaction ids the CSMS hands out (OCPP 1.6 StartTransaction answers an
    integer id). A retried StartTransaction carries the same dedupe key and gets
    the same id back, so duplicate messages map to the same session workflow."""

    __tablename__ = "ocpp_transactions"
    __table_args__ = (UniqueConstraint("charging_point_id", "dedupe_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Looked up by charging point through the unique constraint (its first column).
    charging_point_id: Mapped[int] = mapped_column(ForeignKey("charging_points.id"))
    # OCPP 1.6: f"{connector}:{id_tag}:{meter_start}:{timestamp}"; 2.0.1: the charger's id.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    transaction_id: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChargingSession(Base):
    """The durable record of one charging transaction, written by the session
    workflow's activities: at authorization (state `active` or `rejected`) and when
    it is priced and settled (`finished`)."""

    __tablename__ = "charging_sessions"
    __table_args__ = (
        Index("ix_charging_sessions_customer_stopped", "customer_id", "stopped_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(200), unique=True)
    ocpp_id: Mapped[str] = mapped_column(String(64), index=True)
    transaction_id: Mapped[str] = mapped_column(String(64))
    charging_point_id: Mapped[int | None] = mapped_column(ForeignKey("charging_points.id"))
    connector: Mapped[int] = mapped_column(Integer, default=1)
    # Scope columns (copied from the snapshot) so every query filters on its subtree.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    id_tag: Mapped[str] = mapped_column(String(64))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("charging_cards.id"))
    emsp_id: Mapped[int | None] = mapped_column(ForeignKey("emsps.id"))
    category: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="active")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    meter_start_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    meter_stop_wh: Mapped[int | None] = mapped_column(BigInteger)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    # The frozen effective rate, access mode and category (DOMAIN.md §2).
    snapshot: Mapped[dict] = mapped_column(JSON)
    # Priced dimensions (Decimal as strings) and the settlement split in cents.
    pricing: Mapped[dict | None] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    consumer_price_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    emsp_billed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    main_org_invoiced_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    owner_compensation_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    employee_payout_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    partner_fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    platform_margin_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Reasons finance must look (negative margin, closed by timeout, meter went back).
    flags: Mapped[list] = mapped_column(JSON, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeterValue(Base):
    """One sampled reading, stored by the ingest in batches (not one workflow
    signal each: workflow histories stay small; ARCHITECTURE.md)."""

    __tablename__ = "meter_values"
    __table_args__ = (
        Index("ix_meter_values_session", "workflow_id", "measured_at"),
        # A MeterValues retried after a lost answer carries the same readings:
        # the writer inserts with ON CONFLICT DO NOTHING against this key.
        UniqueConstraint(
            "charging_point_id", "connector", "measured_at", "energy_wh",
            name="uq_meter_values_reading",
        ),
    )
    insert_ignores_duplicates = True
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Looked up by charging point through uq_meter_values_reading (its first column).
    charging_point_id: Mapped[int] = mapped_column(ForeignKey("charging_points.id"))
    connector: Mapped[int] = mapped_column(Integer, default=0)
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)
    power_w: Mapped[int | None] = mapped_column(Integer)
    # Register went backwards versus the previous reading: kept, flagged, never priced.
    regressed: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
