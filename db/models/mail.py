"""Tables of outgoing mail: one delivery per (document, send), its events, and
the single-use tokens of account mail (invitations, password resets).

A delivery's `key` is its idempotency key: `<document number>/1` for the send
after approval, `<number>/2`, `/3` … for each explicit resend. Whatever retries,
crashes or replays, one key is handed to the mail server at most once.

Account tokens are stored as their sha256 only: the link in the mail is the
one copy of the token itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime, one_of, utcnow

__all__ = ["AccountToken", "DELIVERY_STATES", "MailDelivery", "MailDeliveryEvent"]

# queued → sending → sent | failed_temporary (retried) | failed_permanent;
# no_address: the recipient has no billing e-mail (listed for finance);
# unconfirmed: the worker stopped while the server was receiving the message,
# so it may or may not have arrived; it is not sent again by itself.
DELIVERY_STATES = (
    "queued", "sending", "sent", "failed_temporary", "failed_permanent", "no_address",
    "unconfirmed",
)
TOKEN_PURPOSES = ("invitation", "password_reset")


class MailDelivery(Base):
    __tablename__ = "mail_deliveries"
    __table_args__ = (one_of("status", DELIVERY_STATES),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    document_number: Mapped[str] = mapped_column(
        String(64), ForeignKey("issued_documents.number"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    period: Mapped[str] = mapped_column(String(7), index=True)
    recipient_ref: Mapped[str] = mapped_column(String(64))
    recipient_name: Mapped[str] = mapped_column(String(200))
    to_address: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(24), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailDeliveryEvent(Base):
    """What happened to a delivery, and who asked (a resend names a person)."""

    __tablename__ = "mail_delivery_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("mail_deliveries.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    by: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountToken(Base):
    """A single-use, time-limited link token (sha256 stored, never the token)."""

    __tablename__ = "account_tokens"
    __table_args__ = (one_of("purpose", TOKEN_PURPOSES),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
