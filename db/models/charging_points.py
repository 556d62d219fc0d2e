"""Charging points and their connectors (DOMAIN.md §1, §9); tree rules in db/models/tree.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime, by_id, same_customer, string_enum, utcnow
from domain.enums import AccessMode, ChargingPointState

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by name
    from db.models.tree import Location, Rate, SubscriptionPlan

__all__ = ["ChargingPoint", "Connector"]


def of_charging_point() -> ForeignKey:
    """The reference of a row that belongs to one charging point (its connectors,
    status, OCPP history): removing the charging point removes the row."""
    return ForeignKey("charging_points.id", ondelete="CASCADE")


class ChargingPoint(Base):
    __tablename__ = "charging_points"
    __table_args__ = (
        same_customer("location_id", "locations"),
        # Only an unclaimed (pending) charger may hang outside the tree.
        CheckConstraint(
            "state = 'pending' OR (location_id IS NOT NULL AND customer_id IS NOT NULL)",
            name="placed_unless_pending",
        ),
        CheckConstraint("rate_inherited OR rate_id IS NOT NULL", name="own_rate_needs_rate"),
        CheckConstraint(
            "access_mode_inherited OR access_mode IS NOT NULL", name="own_mode_needs_mode"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ocpp_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[ChargingPointState] = mapped_column(
        string_enum(ChargingPointState), default=ChargingPointState.PRE_APPROVED
    )
    # Per charging point password for OCPP security profile 1/2, argon2-hashed.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    subscription_plan_id: Mapped[int | None] = mapped_column(ForeignKey("subscription_plans.id"))
    access_mode: Mapped[AccessMode | None] = mapped_column(string_enum(AccessMode))
    access_mode_inherited: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_id: Mapped[int | None] = mapped_column(ForeignKey("rates.id"))
    rate_inherited: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the charger told us at BootNotification.
    vendor: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    firmware_version: Mapped[str | None] = mapped_column(String(100))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    ocpp_protocol: Mapped[str | None] = mapped_column(String(16))
    # Connection state, kept current by the ingest node holding the socket.
    connected_node: Mapped[str | None] = mapped_column(String(100))
    # The socket that owns the row: a node writes only while it is still this one.
    connection_id: Mapped[str | None] = mapped_column(String(64))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Billable from the first connection (DOMAIN.md §6), until removed.
    first_connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billing_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped[Location | None] = by_id(
        "ChargingPoint.location_id", "Location", back_populates="charging_points"
    )
    rate: Mapped[Rate | None] = relationship()
    subscription_plan: Mapped[SubscriptionPlan | None] = relationship()
    connectors: Mapped[list[Connector]] = relationship(
        back_populates="charging_point", cascade="all, delete-orphan", order_by="Connector.number"
    )


class Connector(Base):
    __tablename__ = "connectors"
    __table_args__ = (
        UniqueConstraint("charging_point_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by charging point through the unique constraint (its first column).
    charging_point_id: Mapped[int] = mapped_column(of_charging_point())
    # OCPP 1.6 connectorId; for OCPP 2.0.1 the EVSE id (one connector per EVSE).
    number: Mapped[int] = mapped_column(Integer)
    standard: Mapped[str] = mapped_column(String(40), default="IEC_62196_T2")
    max_power_w: Mapped[int] = mapped_column(Integer, default=11000)
    status: Mapped[str] = mapped_column(String(32), default="Unknown")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    charging_point: Mapped[ChargingPoint] = relationship(back_populates="connectors")
