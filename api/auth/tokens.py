"""OAuth2 password flow: `POST /api/v1/auth/token` trades an e-mail and password
for an opaque bearer token (stored hashed, expires, revocable by logout)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db import auth as auth_db
from db.models import User

TOKEN_TTL = timedelta(hours=8)


def issue_token(db: Session, *, user_id: int) -> tuple[str, datetime]:
    return auth_db.add_api_token(db, user_id=user_id, ttl=TOKEN_TTL)


def user_of_bearer(db: Session, *, token: str) -> User | None:
    user = auth_db.user_of_token(db, token=token)
    return user if user is not None and user.active else None


def revoke_token(db: Session, *, token: str) -> None:
    auth_db.delete_api_token(db, token=token)
