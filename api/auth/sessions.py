"""Server-side portal sessions: the cookie holds a random token, the database its
hash, the expiry and the session's CSRF token. Logging out deletes the row, so a
copied cookie stops working at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from db import auth as auth_db
from db.models import PortalSession

COOKIE_NAME = "ec_session"
SESSION_TTL = timedelta(hours=12)


def start_portal_session(
    db: Session, *, user_id: int, user_agent: str, ip: str
) -> tuple[str, str]:
    """Log a browser in: (cookie value, CSRF token). The caller commits and sets
    the cookie with `set_session_cookie`."""
    return auth_db.add_portal_session(
        db, user_id=user_id, user_agent=user_agent or "", ip=ip or "", ttl=SESSION_TTL
    )


def end_portal_session(db: Session, *, cookie_value: str) -> None:
    """Log out: the session row goes, the cookie is worthless from now on."""
    auth_db.delete_portal_session(db, cookie_value=cookie_value)


def live_session(db: Session, *, cookie_value: str | None) -> PortalSession | None:
    if not cookie_value:
        return None
    return auth_db.portal_session(db, cookie_value=cookie_value)


def cookie_secure(request: Request) -> bool:
    """Secure cookies behind TLS (or when the settings say the site is https-only)."""
    settings = request.app.state.settings
    return request.url.scheme == "https" or bool(getattr(settings, "session_cookie_secure", False))


def set_session_cookie(response: Response, request: Request, cookie_value: str) -> None:
    response.set_cookie(
        COOKIE_NAME, cookie_value, max_age=int(SESSION_TTL.total_seconds()), httponly=True,
        samesite="lax", secure=cookie_secure(request), path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, httponly=True, samesite="lax", secure=cookie_secure(request), path="/"
    )
