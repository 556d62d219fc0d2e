"""Charging cards (organization cards and public eMSP tokens) and whitelists
(DOMAIN.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime, string_enum, utcnow
from domain.enums import CardKind, CardStatus

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by name
    from db.models.tree import Emsp
    from db.models.users import User

__all__ = ["ChargingCard", "WhitelistEntry"]


class ChargingCard(Base):
    """An organization card (held by a user) or a public eMSP token (token registry)."""

    __tablename__ = "charging_cards"
    __table_args__ = (
        ForeignKeyConstraint(["user_id", "customer_id"], ["users.id", "users.customer_id"]),
        ForeignKeyConstraint(
            ["organization_id", "customer_id"], ["organizations.id", "organizations.customer_id"]
        ),
        ForeignKeyConstraint(
            ["reimbursable_for_organization_id", "customer_id"],
            ["organizations.id", "organizations.customer_id"],
        ),
        CheckConstraint(
            "(kind = 'organization' AND organization_id IS NOT NULL AND emsp_id IS NULL)"
            " OR (kind = 'public' AND emsp_id IS NOT NULL AND organization_id IS NULL"
            "  AND user_id IS NULL)",
            name="kind_matches_owner",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[CardKind] = mapped_column(string_enum(CardKind))
    status: Mapped[CardStatus] = mapped_column(string_enum(CardStatus), default=CardStatus.ACTIVE)
    label: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    emsp_id: Mapped[int | None] = mapped_column(ForeignKey("emsps.id"), index=True)
    contract_id: Mapped[str | None] = mapped_column(String(64))
    # The main organization may flag a card reimbursable for an employee's home
    # charger (DOMAIN.md §5, split billing).
    reimbursable_for_organization_id: Mapped[int | None] = mapped_column()
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship(
        back_populates="cards",
        primaryjoin="ChargingCard.user_id == User.id",
        foreign_keys=[user_id],
    )
    emsp: Mapped[Emsp | None] = relationship()


class WhitelistEntry(Base):
    """A card allowed at a location or at one charging point."""

    __tablename__ = "whitelist_entries"
    __table_args__ = (
        CheckConstraint(
            "(location_id IS NULL) <> (charging_point_id IS NULL)", name="one_target"
        ),
        UniqueConstraint("card_id", "location_id", "charging_point_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("charging_cards.id", ondelete="CASCADE"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    charging_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_points.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
