"""The pages behind account mail links: "Forgot password?" (asks for a reset
link), `/reset-password?token=` and `/set-password?token=` (the invitation's
first password). The services are `db.account_tokens`; the mail goes through the
app's mailer (`api.routes.account_mail.mailer`), after the answer.

Nobody is logged in here, so the forms carry a double-submit token like the
login form: a random value in a short-lived cookie, scoped to the form's path,
that the form must repeat."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Form
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from api.auth import sessions
from api.deps import DbDep
from api.portal.branding import brand_for
from api.portal.render import page
from api.portal.routing import portal_router
from api.routes.account_mail import mailer
from db import auth as auth_db
from db.account_tokens import (
    MIN_PASSWORD_LENGTH,
    link_owner,
    request_password_reset,
    reset_password,
)
from db.scope import principal_of
from domain.errors import Invalid
from invoices.render import logo_bytes
from mail.account_mail import send_account_mail

log = logging.getLogger(__name__)
router = portal_router()

FORM_CSRF_COOKIE = "ec_link_csrf"
SENT = ("If an account exists for this address, we have sent it a link to choose a new "
        "password. The link works once, for one hour.")
OUT_OF_DATE = "The form was out of date. Please try again."
LINK_REFUSED = "This link has been used already or has expired."
TITLES = {"/reset-password": "Choose a new password", "/set-password": "Set your password"}


def _form(request: Request, db, *, status: int = 200, brand=None, **context) -> Response:
    token = secrets.token_urlsafe(24)
    if brand is not None:  # the link's owner's partner, as in the mail
        context["brand"] = brand
    response = page(request, db, "password_link.html", caller=None, form_csrf=token,
                    min_length=MIN_PASSWORD_LENGTH, status_code=status, **context)
    response.set_cookie(FORM_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=sessions.cookie_secure(request), path=request.url.path)
    return response


def _csrf_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(FORM_CSRF_COOKIE, "")
    return bool(expected) and auth_db.same_secret(sent, expected)


def _mail_after(response: Response, request: Request, item, now: datetime) -> Response:
    config, transport = mailer(request)
    response.background = BackgroundTask(
        send_account_mail, request.app.state.session_factory, item, config=config,
        transport=transport, at=now, logo_loader=logo_bytes)
    return response


@router.get("/forgot-password")
def forgot_form(request: Request, db: DbDep) -> Response:
    return _form(request, db, mode="forgot", title="Forgot password")


@router.post("/forgot-password")
def forgot(request: Request, db: DbDep, email: Annotated[str, Form(max_length=320)],
           csrf_token: Annotated[str, Form()] = "") -> Response:
    if not _csrf_ok(request, csrf_token):
        return _form(request, db, status=400, mode="forgot", title="Forgot password",
                     email=email, error=OUT_OF_DATE)
    now = datetime.now(UTC)
    item = request_password_reset(db, email=email, now=now)
    # The same page either way; only an existing account gets the mail.
    response = _form(request, db, mode="sent", title="Forgot password", message=SENT)
    # Committed after rendering: the mail task opens its own session, and SQLite
    # would make it wait on this one's open transaction.
    db.commit()
    return _mail_after(response, request, item, now) if item is not None else response


def _link_form(request: Request, db, token: str, **context) -> Response:
    path = request.url.path
    owner = link_owner(db, token=token, now=datetime.now(UTC))
    if owner is None:
        return _form(request, db, status=context.pop("status", 410), mode="refused",
                     title=TITLES[path], error=LINK_REFUSED)
    brand = brand_for(db, host=request.headers.get("host"), principal=principal_of(owner))
    return _form(request, db, brand=brand, mode="choose", title=TITLES[path], action=path,
                 token=token, **context)


def _set_from_link(request: Request, db, *, token: str, new: str, repeat: str,
                         csrf_token: str) -> Response:
    if not _csrf_ok(request, csrf_token):
        return _link_form(request, db, token, status=400, error=OUT_OF_DATE)
    if len(new) < MIN_PASSWORD_LENGTH:
        return _link_form(request, db, token, status=400,
                          error=f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if new != repeat:
        return _link_form(request, db, token, status=400,
                          error="The two passwords differ. Type the same password twice.")
    now = datetime.now(UTC)
    try:
        notice = reset_password(db, token=token, new_password=new, now=now)
    except Invalid:
        db.rollback()
        return _link_form(request, db, token, status=410)
    # Browsers still logged in as this user were logged in with the old password.
    auth_db.delete_sessions_of(db, user_id=notice.user_id, keep_cookie=None)
    response = _form(request, db, mode="done", title=TITLES[request.url.path],
                     message="Your password is set. You can log in with it now.")
    db.commit()  # after rendering, as in `forgot`
    log.info("Password set from an account mail link for user %s", notice.user_id)
    if notice.purpose == "password_changed":
        _mail_after(response, request, notice, now)
    return response


# The reset link and the invitation's link work alike; the path picks the title.
@router.get("/reset-password")
@router.get("/set-password")
def link_form(request: Request, db: DbDep, token: str = "") -> Response:
    return _link_form(request, db, token)


@router.post("/reset-password")
@router.post("/set-password")
def set_from_link(request: Request, db: DbDep, new: Annotated[str, Form(max_length=200)],
                  repeat: Annotated[str, Form(max_length=200)],
                  token: Annotated[str, Form(max_length=200)] = "",
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    return _set_from_link(request, db, token=token, new=new, repeat=repeat,
                          csrf_token=csrf_token)
