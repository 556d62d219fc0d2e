"""Expired logins are deleted a day after they expired (SQLite and PostgreSQL):
portal sessions, bearer tokens and password-reset / invitation links; live
ones and ones that expired less than a day ago stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db import auth as auth_db
from db.base import transaction
from db.models import PortalSession
from tests.db.helpers import add_logins, login_counts

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_logins_expired_more_than_a_day_ago_are_purged_and_counted(session_factory):
    add_logins(session_factory, expired_at=NOW - timedelta(days=3), tag="old")
    add_logins(session_factory, expired_at=NOW - timedelta(days=1, seconds=1), tag="day")
    add_logins(session_factory, expired_at=NOW - timedelta(hours=23), tag="recent")
    add_logins(session_factory, expired_at=NOW + timedelta(hours=8), tag="live")
    with transaction(session_factory) as db:
        purged = auth_db.purge_expired_logins(db, now=NOW)
    assert purged == auth_db.PurgedLogins(portal_sessions=2, api_tokens=2, account_tokens=2)
    assert purged.total == 6
    assert login_counts(session_factory) == (2, 2, 2)  # the recently expired and the live ones
    with session_factory() as db:
        left = set(db.scalars(select(PortalSession.token_hash)))
    assert {h[:6] for h in left} == {"recent", "live-s"}

    with transaction(session_factory) as db:  # again: nothing left to purge
        assert auth_db.purge_expired_logins(db, now=NOW).total == 0
