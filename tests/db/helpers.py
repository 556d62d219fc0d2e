"""Helpers for database tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text

from db.base import transaction
from db.documents import issue_documents
from db.ledger import post_entry
from db.models import ApiToken, PortalSession, User
from db.models.mail import AccountToken
from domain.enums import Category, Role
from domain.ledger import session_entry
from domain.settlement import build_period_documents
from domain.split import SessionSplit
from tests.settlement.data import october


def without_guards(factory, table: str, sqlite_triggers: list[str], pg_trigger: str, stmt):
    """Tamper behind the database's back (as an attacker with DDL rights would)."""
    with transaction(factory) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {pg_trigger}"))
            s.execute(stmt)
            s.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {pg_trigger}"))
        else:
            for name in sqlite_triggers:
                s.execute(text(f"DROP TRIGGER {name}"))
            s.execute(stmt)


def add_logins(factory, *, expired_at: datetime, tag: str) -> None:
    """One portal session, one bearer token and one reset link expiring at `expired_at`."""
    with transaction(factory) as db:
        user = db.scalar(select(User).order_by(User.id).limit(1))
        if user is None:
            user = User(email="ops@energycloud.example", name="Ops", role=Role.PLATFORM_ADMIN,
                        password_hash="x", active=True)
            db.add(user)
            db.flush()
        created = expired_at - timedelta(hours=1)
        db.add_all([
            PortalSession(token_hash=f"{tag}-s".ljust(64, "0"), csrf_token="c", user_id=user.id,
                          created_at=created, last_seen_at=created, expires_at=expired_at),
            ApiToken(token_hash=f"{tag}-t".ljust(64, "0"), user_id=user.id, created_at=created,
                     expires_at=expired_at),
            AccountToken(user_id=user.id, purpose="password_reset",
                         token_sha256=f"{tag}-r".ljust(64, "0"), created_at=created,
                         expires_at=expired_at),
        ])


def login_counts(factory) -> tuple[int, ...]:
    """(portal sessions, bearer tokens, account links)."""
    with factory() as db:
        return tuple(db.scalar(select(func.count()).select_from(m))
                     for m in (PortalSession, ApiToken, AccountToken))


ISSUE_DAY = date(2026, 11, 2)


def post_sessions(factory, facts) -> list[tuple[str, bool]]:
    """What the session workflow posted for each session of the facts."""
    with transaction(factory) as s:
        for f in facts.sessions:
            split = SessionSplit(
                Category(f.category), f.emsp_billed_cents, f.main_org_invoiced_cents,
                f.owner_compensation_cents, f.employee_payout_cents, f.partner_fee_cents,
                f.platform_margin_cents,
            )
            entry = session_entry(f.workflow_id, split, f.organization_id,
                                  f.main_organization_id, f.organization_id, f.partner_id,
                                  f.emsp_id)
            if entry is not None:
                post_entry(s, entry, occurred_at=f.stopped_at, reference=f.workflow_id)
    return [(f.workflow_id, False) for f in facts.sessions]


def issue_october(factory):
    facts = october()
    sessions = post_sessions(factory, facts)
    docs = build_period_documents(facts)
    return issue_documents(factory, period="2026-10", documents=docs, issue_date=ISSUE_DAY,
                           sessions=sessions), docs, sessions
