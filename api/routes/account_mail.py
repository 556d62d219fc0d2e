"""Account mail endpoints: forgot password, reset (or first set) password.

`POST /auth/forgot-password` answers 202 with the same body whether or not the
address has an account; the mail (only to an existing account) is sent after
the answer, so timing tells nothing either."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import SessionDep
from db.account_tokens import request_password_reset, reset_password
from domain.errors import Invalid
from invoices.render import logo_bytes
from mail.account_mail import send_account_mail
from mail.config import MailConfig
from mail.transport import build_transport

router = APIRouter(prefix="/auth", tags=["auth"])

ACCEPTED = {"detail": "If an account exists for this address, a reset link is on its way."}


class ForgotPassword(BaseModel):
    email: str = Field(max_length=320)


class ResetPassword(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Field(max_length=200)


def mailer(request: Request):
    """The mail config and transport of this app: what the entry point handed
    `create_app`, else built once from the app's settings."""
    state = request.app.state
    if getattr(state, "mail", None) is None:
        config = MailConfig.from_settings(state.settings)
        state.mail = (config, build_transport(config))
    return state.mail


@router.post("/forgot-password", status_code=202)
def forgot_password(body: ForgotPassword, db: SessionDep, request: Request,
                    background: BackgroundTasks) -> dict:
    now = datetime.now(UTC)
    item = request_password_reset(db, email=body.email, now=now)
    db.commit()
    if item is not None:
        config, transport = mailer(request)
        background.add_task(send_account_mail, request.app.state.session_factory, item,
                            config=config, transport=transport, at=now, logo_loader=logo_bytes)
    return ACCEPTED


@router.post("/reset-password")
def reset_password_endpoint(body: ResetPassword, db: SessionDep, request: Request,
                            background: BackgroundTasks) -> dict:
    now = datetime.now(UTC)
    try:
        notice = reset_password(db, token=body.token, new_password=body.new_password, now=now)
    except Invalid as exc:
        db.rollback()
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    db.commit()
    if notice.purpose == "password_changed":
        config, transport = mailer(request)
        background.add_task(send_account_mail, request.app.state.session_factory, notice,
                            config=config, transport=transport, at=now, logo_loader=logo_bytes)
    return {"detail": "Your password is set. You can sign in now."}
