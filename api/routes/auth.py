"""Logging in for the REST API (OAuth2 password flow with opaque bearer tokens),
logging out, the caller's own profile, password change and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from api.auth import api_keys, sessions, tokens
from api.auth.login import LoginRefused, LoginThrottled, check_login
from api.deps import CurrentPrincipal, DbDep, ScopedQuery, oauth2_scheme
from api.schemas.people import UserIdentity
from db import audit
from db import auth as auth_db
from db.models import ApiKey, User
from db.passwords import hash_password, verify_password
from domain.enums import Role
from domain.errors import Invalid, NotAllowed

router = APIRouter(prefix="/auth", tags=["auth"])

MIN_PASSWORD_LENGTH = 10


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class TokenAnswer(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "access_token": "q3J9...", "token_type": "bearer",
        "expires_at": "2026-12-01T20:00:00Z"}]})
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post(
    "/token", response_model=TokenAnswer, summary="Log in: e-mail and password for a bearer token",
)
def login_for_token(
    request: Request, db: DbDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenAnswer:
    """OAuth2 password flow: `username` is the e-mail address. Send the token as
    `Authorization: Bearer <token>`; it expires after 8 hours."""
    try:
        user = check_login(db, email=form.username, password=form.password, ip=client_ip(request))
    except (LoginRefused, LoginThrottled):
        db.commit()  # keep the failure count
        raise
    token, expires_at = tokens.issue_token(db, user_id=user.id)
    db.commit()
    return TokenAnswer(access_token=token, expires_at=expires_at)


@router.post("/logout", status_code=204, summary="Log out: the token or session stops working")
def logout(
    request: Request, response: Response, db: DbDep, caller: CurrentPrincipal,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Response:
    if caller.via == "token" and bearer:
        tokens.revoke_token(db, token=bearer)
    elif caller.via == "session":
        sessions.end_portal_session(db, cookie_value=request.cookies.get(sessions.COOKIE_NAME, ""))
    db.commit()
    answer = Response(status_code=204)
    sessions.clear_session_cookie(answer, request)
    return answer


class Me(UserIdentity):
    via: str


@router.get("/me", response_model=Me, summary="Who am I")
def me(caller: CurrentPrincipal) -> Me:
    return Me(id=caller.user_id, email=caller.email, name=caller.name, role=caller.role,
              partner_id=caller.partner_id, customer_id=caller.customer_id,
              organization_id=caller.organization_id, via=caller.via)


class PasswordChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "old_password": "demo", "new_password": "a-much-longer-passphrase"}]})
    old_password: str = Field(max_length=200)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)


@router.post("/password", status_code=204, summary="Change my password (old one required)")
def change_password(request: Request, db: DbDep, caller: CurrentPrincipal,
                    change: PasswordChange) -> Response:
    """Other sessions and tokens of the user are logged out; this one stays."""
    if caller.via == "api_key":
        raise NotAllowed("An API key cannot change a password.", code="auth.api_key")
    user = db.get(User, caller.user_id)
    if not verify_password(user.password_hash, change.old_password):
        raise Invalid("The current password is not correct.", code="auth.old_password")
    if change.new_password == change.old_password:
        raise Invalid("The new password must differ from the current one.",
                      code="auth.same_password")
    user.password_hash = hash_password(change.new_password)
    keep = request.cookies.get(sessions.COOKIE_NAME) if caller.via == "session" else None
    auth_db.delete_sessions_of(db, user_id=user.id, keep_cookie=keep)
    audit.record(db, principal=caller, action="password.change", object_type="user",
                 object_id=user.id, before=None, after=None,
                 place={"partner_id": user.partner_id, "customer_id": user.customer_id,
                        "organization_id": user.organization_id})
    db.commit()
    return Response(status_code=204)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Fleet sync"}]})
    name: str = Field(min_length=1, max_length=200)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    partner_id: int | None
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyOut:
        return cls(id=row.id, name=row.name, prefix=row.prefix, partner_id=row.partner_id,
                   active=row.active, created_at=row.created_at,
                   last_used_at=row.last_used_at, revoked_at=row.revoked_at)


class NewApiKey(ApiKeyOut):
    key: str = Field(description="The key itself. Shown this once; store it now.")


KEY_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.PARTNER_ADMIN})


@router.post("/api-keys", response_model=NewApiKey, status_code=201,
             summary="Create an API key for a partner integration (shown once)")
def create_api_key(db: DbDep, caller: CurrentPrincipal, body: ApiKeyIn) -> NewApiKey:
    """The key acts as you, inside your partner's subtree. Only its prefix is kept
    readable; revoke it when the integration ends."""
    if caller.role not in KEY_ROLES or caller.via == "api_key":
        raise NotAllowed("Only a partner or platform administrator may create API keys.",
                         code="forbidden.api_keys")
    user = db.get(User, caller.user_id)
    row, key = api_keys.create_api_key(db, user=user, name=body.name)
    audit.record(db, principal=caller, action="api_key.create", object_type="api_key",
                 object_id=row.id, before=None, after=ApiKeyOut.of(row).model_dump(),
                 place={"partner_id": row.partner_id})
    db.commit()
    return NewApiKey(**ApiKeyOut.of(row).model_dump(), key=key)


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="API keys I may see")
def list_api_keys(scoped: ScopedQuery) -> list[ApiKeyOut]:
    rows = scoped.db.scalars(scoped.select(ApiKey).order_by(ApiKey.id)).all()
    return [ApiKeyOut.of(r) for r in rows]


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut,
             summary="Revoke an API key: it stops working at once")
def revoke_api_key(key_id: int, scoped: ScopedQuery) -> ApiKeyOut:
    row = scoped.get(ApiKey, key_id, "API key")
    if scoped.caller.role not in KEY_ROLES:
        raise NotAllowed("Only a partner or platform administrator may revoke API keys.",
                         code="forbidden.api_keys")
    before = ApiKeyOut.of(row).model_dump()
    api_keys.revoke_api_key(row)
    audit.record(scoped.db, principal=scoped.caller, action="api_key.revoke",
                 object_type="api_key", object_id=row.id, before=before,
                 after=ApiKeyOut.of(row).model_dump(), place={"partner_id": row.partner_id})
    scoped.db.commit()
    return ApiKeyOut.of(row)


