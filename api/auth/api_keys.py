"""API keys for partner integrations: shown once at creation, stored hashed,
revocable. A key acts as the user who created it, inside that user's subtree
(a partner's key sees exactly that partner's customers)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from db import auth as auth_db
from db.base import utcnow
from db.models import ApiKey, User

HEADER = "X-API-Key"
LAST_USED_PRECISION = timedelta(minutes=1)


def create_api_key(db: Session, *, user: User, name: str) -> tuple[ApiKey, str]:
    return auth_db.add_api_key(db, name=name, user_id=user.id, partner_id=user.partner_id)


def user_of_key(db: Session, *, key: str) -> tuple[User, ApiKey] | None:
    row = auth_db.api_key_row(db, key=key)
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now  # a write per minute at most, not per request
    return user, row


def revoke_api_key(key: ApiKey) -> None:
    key.active = False
    key.revoked_at = utcnow()
