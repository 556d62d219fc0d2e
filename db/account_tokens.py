"""Single-use, time-limited links of account mail: invitations (set your first
password) and password resets. Only the token's sha256 is stored; the token
itself exists in the mail's link alone.

Nothing here tells a caller whether an address has an account:
`request_password_reset` returns what to mail (or None) and the API answers the
same either way; the mail goes only to an address that has an account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import User
from db.models.mail import AccountToken
from db.passwords import hash_password
from db.tree.users import create_user
from domain.enums import Role
from domain.errors import Invalid

__all__ = ["INVITATION_TTL", "MIN_PASSWORD_LENGTH", "RESET_TTL", "TokenMail", "invite_user",
           "link_owner", "request_password_reset", "reset_password"]

RESET_TTL = timedelta(hours=1)
INVITATION_TTL = timedelta(days=7)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class TokenMail:
    """What to mail: to whom, why, and the token for the link."""

    user_id: int
    email: str
    name: str
    purpose: str  # invitation | password_reset | password_changed
    token: str | None
    expires_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(db: Session, user: User, purpose: str, *, now: datetime, ttl: timedelta,
           by: str | None) -> TokenMail:
    token = secrets.token_urlsafe(32)
    db.add(AccountToken(user_id=user.id, purpose=purpose, token_sha256=_digest(token),
                        created_by=by, created_at=now, expires_at=now + ttl))
    db.flush()
    return TokenMail(user.id, user.email, user.name, purpose, token, now + ttl)


def request_password_reset(db: Session, *, email: str, now: datetime) -> TokenMail | None:
    """A reset link for the active account of `email`, or None (no account: no
    mail; the caller answers the same either way)."""
    address = (email or "").strip().lower()
    user = db.scalar(select(User).where(User.email == address, User.active))
    if user is None:
        _digest(secrets.token_urlsafe(32))  # the same work either way
        return None
    return _issue(db, user, "password_reset", now=now, ttl=RESET_TTL, by=None)


def invite_user(db: Session, *, email: str, name: str, role: Role, invited_by: str,
                now: datetime, partner_id: int | None = None, customer_id: int | None = None,
                organization_id: int | None = None) -> TokenMail:
    """Create a user who sets their own password through the invitation link.
    Until then the account has a random password nobody knows."""
    user = create_user(db, email=email, name=name, role=role,
                       password=secrets.token_urlsafe(32), partner_id=partner_id,
                       customer_id=customer_id, organization_id=organization_id)
    return _issue(db, user, "invitation", now=now, ttl=INVITATION_TTL, by=invited_by)


def link_owner(db: Session, *, token: str, now: datetime) -> User | None:
    """The active user whose link this is while it still works (unused, not
    expired), else None. Lets a page say "ask for a new link" before the form."""
    row = db.scalar(select(AccountToken).where(AccountToken.token_sha256 == _digest(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = db.get(User, row.user_id)
    return user if user is not None and user.active else None


def reset_password(db: Session, *, token: str, new_password: str, now: datetime) -> TokenMail:
    """Set the password from an invitation or reset link. The link works once and
    until it expires; every other open link of the account stops working too.
    Returns the 'password changed' notice to mail (token None)."""
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password has at least {MIN_PASSWORD_LENGTH} characters",
                      code="password.too_short")
    row = db.scalar(select(AccountToken).where(AccountToken.token_sha256 == _digest(token or ""))
                    .with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Invalid("this link is invalid or has expired; ask for a new one",
                      code="token.invalid")
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        raise Invalid("this link is invalid or has expired; ask for a new one",
                      code="token.invalid")
    user.password_hash = hash_password(new_password)
    db.execute(update(AccountToken).where(AccountToken.user_id == user.id,
                                          AccountToken.used_at.is_(None)).values(used_at=now))
    db.flush()
    return TokenMail(user.id, user.email, user.name,
                     "password_changed" if row.purpose == "password_reset" else "password_set",
                     None, None)
