"""Platform-wide singletons: the operator's settings and this database's
installation id."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, DecimalText, UTCDateTime, utcnow

__all__ = ["Installation", "PlatformSettings"]


class PlatformSettings(Base):
    """One row: the operator's settings (DOMAIN.md §3: VAT and currency are data)."""

    __tablename__ = "platform_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    vat_rate_percent: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal("21"))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    # Roaming fee for customers without a partner (DOMAIN.md §5).
    default_roaming_fee_per_kwh: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal("0"))
    vat_id: Mapped[str | None] = mapped_column(String(32))
    iban: Mapped[str | None] = mapped_column(String(34))
    support_email: Mapped[str | None] = mapped_column(String(200))
    # Babel locale documents are printed in (amounts, dates), e.g. "nl_NL".
    locale: Mapped[str] = mapped_column(String(16), default="nl_NL")
    # SEPA creditor identifier for direct debits (pain.008).
    sepa_creditor_id: Mapped[str | None] = mapped_column(String(35))


class Installation(Base):
    """One row: this database's installation id (db.installation), generated once
    and part of every session workflow id, so a Temporal cluster that outlives
    this database, or serves a second one, never mixes their sessions."""

    __tablename__ = "installation"
    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    installation_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
