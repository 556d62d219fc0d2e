"""Checking a password login, with lock-out after repeated failures.

The refusal sentence is the same for an unknown e-mail, a wrong password and a
deactivated user, so the answer does not tell which e-mail addresses exist.
After `MAX_FAILURES_PER_ACCOUNT` failures for one e-mail (or
`MAX_FAILURES_PER_IP` from one address) within `WINDOW`, logins are refused
without checking the password until the window has passed."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import auth as auth_db
from db.base import utcnow
from db.models import User
from db.passwords import hash_password, verify_password
from domain.errors import DomainError

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 30
REFUSED = "The e-mail address or the password is not correct."

_dummy_hash: str | None = None


class LoginRefused(DomainError):
    code = "auth.login_refused"

    def __init__(self) -> None:
        super().__init__(REFUSED)


class LoginThrottled(DomainError):
    code = "auth.login_throttled"

    def __init__(self) -> None:
        super().__init__(
            "Too many failed logins. Wait 15 minutes and try again, or ask your"
            " administrator to reset your password."
        )


def _burn_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown e-mail costs as much time as
    a known one with a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("not a real password")
    verify_password(_dummy_hash, password)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_login(db: Session, *, email: str, password: str, ip: str) -> User:
    """The active user with this e-mail and password; `LoginRefused` or
    `LoginThrottled` otherwise. Records failures in `db` (the caller commits, also
    when this raises)."""
    email = normalize_email(email)
    since = utcnow() - WINDOW
    by_email, by_ip = auth_db.login_failures_since(db, since=since, email=email, ip=ip)
    if by_email >= MAX_FAILURES_PER_ACCOUNT or by_ip >= MAX_FAILURES_PER_IP:
        log.warning("Login throttled for %s from %s", email, ip)
        raise LoginThrottled()
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        _burn_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if not ok:
        auth_db.forget_old_login_failures(db, before=since)  # the table stays small
        auth_db.record_login_failure(db, email=email, ip=ip)
        log.info("Login refused for %s from %s", email, ip)
        raise LoginRefused()
    auth_db.clear_login_failures(db, email=email)
    return user
