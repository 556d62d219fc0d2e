"""Repository of logins: portal sessions, bearer tokens, API keys and failed
logins. Secrets are random tokens handed to the caller once; the database keeps
only `secret_hash(...)` of them, so a leaked table opens no account.

Keyword-only functions on a caller's database session (`db`); callers commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ApiKey, ApiToken, LoginFailure, PortalSession, User
from db.models.mail import AccountToken

API_KEY_PREFIX = "eck_"


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    # The secrets are random 256-bit values, so a plain SHA-256 cannot be brute
    # forced; argon2 here would only slow every request down.
    return hashlib.sha256(secret.encode()).hexdigest()


# -- portal sessions ---------------------------------------------------------------


def add_portal_session(
    db: Session, *, user_id: int, user_agent: str, ip: str, ttl: timedelta
) -> tuple[str, str]:
    """A new browser session: (cookie value, CSRF token)."""
    token, csrf = new_secret(), new_secret()
    now = utcnow()
    db.add(PortalSession(
        token_hash=secret_hash(token), csrf_token=csrf, user_id=user_id,
        user_agent=user_agent[:300], ip=ip[:64], created_at=now, last_seen_at=now,
        expires_at=now + ttl,
    ))
    db.flush()
    return token, csrf


def portal_session(db: Session, *, cookie_value: str) -> PortalSession | None:
    """The live session behind a cookie (None when unknown or expired)."""
    row = db.scalar(
        select(PortalSession).where(PortalSession.token_hash == secret_hash(cookie_value))
    )
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def delete_portal_session(db: Session, *, cookie_value: str) -> bool:
    result = db.execute(
        delete(PortalSession).where(PortalSession.token_hash == secret_hash(cookie_value))
    )
    return bool(result.rowcount)


def delete_sessions_of(db: Session, *, user_id: int, keep_cookie: str | None = None) -> None:
    """Log a user out everywhere (after a password change), except the current browser."""
    query = delete(PortalSession).where(PortalSession.user_id == user_id)
    if keep_cookie is not None:
        query = query.where(PortalSession.token_hash != secret_hash(keep_cookie))
    db.execute(query)
    db.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


# -- bearer tokens -----------------------------------------------------------------


def add_api_token(db: Session, *, user_id: int, ttl: timedelta) -> tuple[str, datetime]:
    token = new_secret()
    expires_at = utcnow() + ttl
    db.add(ApiToken(token_hash=secret_hash(token), user_id=user_id, expires_at=expires_at))
    db.flush()
    return token, expires_at


def user_of_token(db: Session, *, token: str) -> User | None:
    """The user of a live token, in one query (every API request asks)."""
    return db.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == secret_hash(token), ApiToken.expires_at > utcnow())
    )


def delete_api_token(db: Session, *, token: str) -> bool:
    result = db.execute(delete(ApiToken).where(ApiToken.token_hash == secret_hash(token)))
    return bool(result.rowcount)


# -- API keys ----------------------------------------------------------------------


def add_api_key(
    db: Session, *, name: str, user_id: int, partner_id: int | None
) -> tuple[ApiKey, str]:
    """A new key: (row, the key itself, shown to the person once)."""
    key = API_KEY_PREFIX + new_secret()
    row = ApiKey(
        name=name, prefix=key[: len(API_KEY_PREFIX) + 8], key_hash=secret_hash(key),
        user_id=user_id, partner_id=partner_id,
    )
    db.add(row)
    db.flush()
    return row, key


def api_key_row(db: Session, *, key: str) -> ApiKey | None:
    """The active key row for a presented key."""
    row = db.scalar(select(ApiKey).where(ApiKey.key_hash == secret_hash(key)))
    if row is None or not row.active:
        return None
    return row


# -- failed logins -----------------------------------------------------------------


def record_login_failure(db: Session, *, email: str, ip: str) -> None:
    db.add(LoginFailure(email=email[:200], ip=ip[:64]))
    db.flush()


def login_failures_since(db: Session, *, since: datetime, email: str, ip: str) -> tuple[int, int]:
    """(failures for this e-mail, failures from this IP) since `since`."""
    by_email = db.scalar(
        select(func.count()).where(LoginFailure.email == email, LoginFailure.failed_at >= since)
    )
    by_ip = db.scalar(
        select(func.count()).where(LoginFailure.ip == ip, LoginFailure.failed_at >= since)
    )
    return int(by_email or 0), int(by_ip or 0)


def clear_login_failures(db: Session, *, email: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.email == email))


def forget_old_login_failures(db: Session, *, before: datetime) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.failed_at < before))


# -- upkeep ------------------------------------------------------------------------

# Expired rows are refused at once; they are deleted a day later, so a session or
# link that just expired can still be told apart from one that never existed
# while someone looks into a complaint.
EXPIRED_KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class PurgedLogins:
    portal_sessions: int
    api_tokens: int
    account_tokens: int  # password-reset and invitation links

    @property
    def total(self) -> int:
        return self.portal_sessions + self.api_tokens + self.account_tokens


def purge_expired_logins(db: Session, *, now: datetime,
                         kept_for: timedelta = EXPIRED_KEPT_FOR) -> PurgedLogins:
    """Delete portal sessions, bearer tokens and account links (password reset,
    invitation) that expired more than `kept_for` before `now`; how many of each."""
    before = now - kept_for
    counts = [
        db.execute(delete(model).where(model.expires_at < before)).rowcount or 0
        for model in (PortalSession, ApiToken, AccountToken)
    ]
    return PurgedLogins(*counts)


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
