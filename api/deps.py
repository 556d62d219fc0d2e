"""Dependencies the routes declare by intent: `DbDep` (= `SessionDep`),
`SettingsDep`, `TemporalDep`, and who is calling: `CurrentPrincipal` (cookie
session, bearer token or `X-API-Key`), `PortalPrincipal` (cookie only; browsers
without one are sent to /login), `require_csrf`, and `ScopedQuery`, the only way
routes read tree rows (scoped by `db.scope.visible`; outside the subtree is 404).

Everything here reads from `app.state`, filled by `api.app.create_app`, so tests
build an app on their own database and settings without patching globals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.auth import api_keys, sessions, tokens
from api.auth.csrf import check_csrf
from api.auth.principal import Caller, caller_of
from api.scoped import Scoped
from domain.errors import DomainError
from workflows.temporal_client import connect_temporal

log = logging.getLogger(__name__)


class Settings(Protocol):
    """What the API needs of the process settings. The entry point
    (`energycloud api`) hands in its `energycloud.settings.Settings`; the API
    never reads settings itself."""

    database_url: str
    temporal_address: str
    temporal_namespace: str
    secret_key: str


class TemporalConnection:
    """One Temporal client per API process, connected on first use and again after a
    failure, so the API starts (and answers health checks) while Temporal is down."""

    def __init__(self, address: str, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self, *, timeout_s: float = 5.0) -> Client:
        async with self._lock:
            if self._client is None:
                # One attempt: a caller waiting on Temporal gets 503 instead.
                self._client = await connect_temporal(
                    self.address, self.namespace, wait_s=0, attempt_timeout_s=timeout_s
                )
                log.info("Connected to Temporal at %s", self.address)
            return self._client

    async def reachable(self, *, timeout_s: float = 2.0) -> bool:
        """True when Temporal's frontend answers SERVING within the timeout."""
        try:
            client = await asyncio.wait_for(self.client(timeout_s=timeout_s), timeout_s)
            return await client.service_client.check_health(timeout=timedelta(seconds=timeout_s))
        except Exception as exc:  # noqa: BLE001  (any failure means "not reachable")
            log.warning("Temporal at %s is unreachable: %s", self.address, exc)
            return False


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request; the route commits what it changes."""
    with request.app.state.session_factory() as session:
        yield session


async def get_temporal_client(request: Request) -> Client:
    try:
        return await request.app.state.temporal.client()
    except Exception as exc:  # noqa: BLE001
        log.warning("Temporal unavailable: %s", exc)
        raise HTTPException(status_code=503, detail="Temporal is unavailable") from exc


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal_client)]


DbDep = SessionDep

TOKEN_URL = "/api/v1/auth/token"
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
api_key_scheme = APIKeyHeader(name=api_keys.HEADER, auto_error=False)


class NotAuthenticated(DomainError):
    """No valid session, token or key: 401."""

    code = "auth.required"

    def __init__(self, message: str = "Log in first: send a bearer token, an API key or"
                 " the session cookie.") -> None:
        super().__init__(message)


class LoginRequired(DomainError):
    """A portal page without a session: the handler redirects to /login."""

    code = "auth.login_required"

    def __init__(self, next_url: str) -> None:
        super().__init__("Log in to see this page.")
        self.next_url = next_url


def _cookie_caller(request: Request, db: Session) -> Caller | None:
    row = sessions.live_session(db, cookie_value=request.cookies.get(sessions.COOKIE_NAME))
    if row is None:
        return None
    from db.models import User

    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return caller_of(user, via="session", csrf_token=row.csrf_token)


def _resolve_caller(request: Request, db: Session, bearer: str | None,
                    api_key: str | None) -> Caller:
    if api_key:
        found = api_keys.user_of_key(db, key=api_key)
        if found is None:
            raise NotAuthenticated("The API key is unknown or revoked.")
        user, key = found
        if db.dirty:
            db.commit()  # last_used_at, written at most once a minute
        return caller_of(user, via="api_key", api_key_prefix=key.prefix)
    if bearer:
        user = tokens.user_of_bearer(db, token=bearer)
        if user is None:
            raise NotAuthenticated("The bearer token is unknown or expired: log in again.")
        return caller_of(user, via="token")
    caller = _cookie_caller(request, db)
    if caller is None:
        raise NotAuthenticated()
    return caller


async def get_caller(
    request: Request,
    db: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    """Who calls: an API key, else a bearer token, else the portal cookie (then
    every unsafe request must carry the session's CSRF token). The lookups run in
    the thread pool: a database wait never blocks the event loop."""
    caller = await run_in_threadpool(_resolve_caller, request, db, bearer, api_key)
    if caller.via == "session":
        await check_csrf(request, caller.csrf_token)
    return caller


def get_portal_caller(request: Request, db: SessionDep) -> Caller:
    caller = _cookie_caller(request, db)
    if caller is None:
        raise LoginRequired(str(request.url.path))
    return caller


async def require_csrf(request: Request, caller: Annotated[Caller, Depends(get_portal_caller)]):
    """For the portal's unsafe form posts: the form's `csrf_token` must be the session's."""
    await check_csrf(request, caller.csrf_token)


CurrentPrincipal = Annotated[Caller, Depends(get_caller)]
PortalPrincipal = Annotated[Caller, Depends(get_portal_caller)]


# Pure constructors are async so FastAPI does not spend a thread hop on them.
async def get_scoped(db: SessionDep, caller: CurrentPrincipal) -> Scoped:
    return Scoped(db, caller)


def get_portal_scoped(db: SessionDep, caller: PortalPrincipal) -> Scoped:
    return Scoped(db, caller)


ScopedQuery = Annotated[Scoped, Depends(get_scoped)]
PortalScopedQuery = Annotated[Scoped, Depends(get_portal_scoped)]
