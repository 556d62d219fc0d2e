"""Users of the portals, by role and place in the tree (DOMAIN.md §1)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime, string_enum, utcnow
from domain.enums import Role

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by name
    from db.models.cards import ChargingCard
    from db.models.tree import Organization

__all__ = ["User"]


class User(Base):
    """A login. Its role and the ids it carries fix its subtree (DOMAIN.md §1)."""

    __tablename__ = "users"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organization_id", "customer_id"], ["organizations.id", "organizations.customer_id"]
        ),
        UniqueConstraint("id", "customer_id", name="uq_users_id_customer"),
        CheckConstraint(
            "(role IN ('platform_admin', 'platform_finance')"
            "  AND partner_id IS NULL AND customer_id IS NULL)"
            " OR (role IN ('partner_admin', 'partner_support')"
            "  AND partner_id IS NOT NULL AND customer_id IS NULL)"
            " OR (role = 'customer_admin' AND customer_id IS NOT NULL AND partner_id IS NULL)"
            " OR (role = 'customer_user' AND organization_id IS NOT NULL"
            "  AND partner_id IS NULL)",
            name="role_matches_scope",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(string_enum(Role))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = relationship(
        primaryjoin="User.organization_id == Organization.id", foreign_keys=[organization_id]
    )
    cards: Mapped[list[ChargingCard]] = relationship(
        back_populates="user",
        primaryjoin="ChargingCard.user_id == User.id",
        foreign_keys="ChargingCard.user_id",
    )
