"""Log in, log out, change password. Sessions, lock-out and the CSRF check are
the API's (`api.auth`); these are their pages.

The login form has no session yet, so it is protected by a double-submit token:
a random value in a short-lived cookie that the form must repeat (a foreign site
can neither read the cookie nor set it)."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.auth import sessions
from api.auth.login import LoginRefused, LoginThrottled, check_login
from api.deps import DbDep, PortalPrincipal, require_csrf
from api.portal.render import page
from api.portal.routing import portal_router
from api.routes.auth import MIN_PASSWORD_LENGTH
from db import audit
from db import auth as auth_db
from db.models import User
from db.passwords import hash_password, verify_password

log = logging.getLogger(__name__)
router = portal_router()

LOGIN_CSRF_COOKIE = "ec_login_csrf"



def safe_next(target: str | None) -> str:
    """Only paths of this site: never an absolute URL or a scheme-relative '//host'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _login_page(request: Request, db, *, status: int = 200, **context) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(request, db, "login.html", caller=None, login_csrf=token,
                    status_code=status, **context)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True,
                        samesite="strict", secure=sessions.cookie_secure(request), path="/login")
    return response


@router.get("/login")
def login_form(request: Request, db: DbDep, next: str = "/", bye: int = 0) -> Response:
    live = sessions.live_session(db, cookie_value=request.cookies.get(sessions.COOKIE_NAME))
    if live is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    message = "You are logged out." if bye else None
    return _login_page(request, db, next_url=safe_next(next), message=message)


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not auth_db.same_secret(csrf_token, expected):
        return _login_page(request, db, status=400, next_url=safe_next(next), email=email,
                           error="The login form was out of date. Please try again.")
    try:
        user = check_login(db, email=email, password=password, ip=_client_ip(request))
    except (LoginRefused, LoginThrottled) as refused:
        db.commit()  # the failure counts towards the lock-out
        status = 429 if isinstance(refused, LoginThrottled) else 401
        return _login_page(request, db, status=status, next_url=safe_next(next), email=email,
                           error=refused.message)
    cookie, _csrf = sessions.start_portal_session(
        db, user_id=user.id, user_agent=request.headers.get("user-agent", ""),
        ip=_client_ip(request),
    )
    db.commit()
    log.info("Portal login of %s", user.email)
    response = RedirectResponse(safe_next(next), status_code=303)
    sessions.set_session_cookie(response, request, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, db: DbDep) -> Response:
    cookie = request.cookies.get(sessions.COOKIE_NAME)
    if cookie:
        sessions.end_portal_session(db, cookie_value=cookie)
        db.commit()
    response = RedirectResponse("/login?bye=1", status_code=303)
    sessions.clear_session_cookie(response, request)
    return response


@router.get("/account/password")
def password_form(request: Request, db: DbDep, caller: PortalPrincipal) -> Response:
    return page(request, db, "password.html", caller=caller, active="account",
                title="Change password", min_length=MIN_PASSWORD_LENGTH)


@router.post("/account/password", dependencies=[Depends(require_csrf)])
def change_password(
    request: Request,
    db: DbDep,
    caller: PortalPrincipal,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    repeat: Annotated[str, Form()],
) -> Response:
    user = db.get(User, caller.user_id)
    problem = None
    if not verify_password(user.password_hash, current):
        problem = "Your current password is not correct."
    elif len(new) < MIN_PASSWORD_LENGTH:
        problem = f"Choose a new password of at least {MIN_PASSWORD_LENGTH} characters."
    elif new != repeat:
        problem = "The two new passwords differ. Type the same new password twice."
    elif new == current:
        problem = "The new password is the same as the current one."
    if problem:
        return page(request, db, "password.html", caller=caller, active="account",
                    title="Change password", min_length=MIN_PASSWORD_LENGTH,
                    notices=[("bad", problem)], status_code=400)
    user.password_hash = hash_password(new)
    # Every other browser logged in as this user is logged out.
    auth_db.delete_sessions_of(db, user_id=user.id,
                               keep_cookie=request.cookies.get(sessions.COOKIE_NAME))
    audit.record(db, principal=caller, action="password.change", object_type="user",
                 object_id=user.id, before=None, after=None,
                 place={"partner_id": user.partner_id, "customer_id": user.customer_id,
                        "organization_id": user.organization_id})
    db.commit()
    return page(request, db, "password.html", caller=caller, active="account",
                title="Change password", min_length=MIN_PASSWORD_LENGTH,
                notices=[("ok", "Your password is changed. Other browsers are logged out.")])
