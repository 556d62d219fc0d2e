"""The FastAPI application: REST under /api/v1 (routers in api/routes/), the
portal (`api.portal.router`, when present) and offline /docs and /redoc.

energycloud api      # builds the app from the process settings and serves it
"""

from __future__ import annotations

import importlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api import docs, errors
from api.deps import Settings, TemporalConnection
from api.routes import ROUTERS, TAGS, account_mail, payment_webhooks
from api.services import ApiServices
from api.upkeep import FIRST_PURGE_AFTER_S, LOGIN_PURGE_EVERY_S, purging_expired_logins
from api.version import platform_version
from db.base import make_engine, make_sessionmaker
from mail.config import MailConfig
from mail.transport import build_transport

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
TITLE = "Energy Cloud"
DESCRIPTION = """\
Charge point management, billing and settlement for EV charging.

* **Chargers** connect over OCPP-J (1.6 and 2.0.1) to the ingest nodes; every
  charging transaction runs as a durable Temporal workflow.
* **This API** serves the partner, customer and finance portals: the tree of
  partners, customers, organizations, locations and charging points, sessions,
  invoices and settlements.
"""
PLACEHOLDER_SECRET_KEY = "change-me-in-production"


class InsecureSettings(RuntimeError):
    """The platform refuses to start with settings only the embedded demo may use."""


def check_secret_key(settings: Settings) -> None:
    """Outside the embedded demo (SQLite and Temporal's dev server on one machine)
    the placeholder SECRET_KEY means nobody configured this installation."""
    embedded_demo = bool(getattr(settings, "temporal_embedded", False)) and str(
        settings.database_url
    ).startswith("sqlite")
    if settings.secret_key == PLACEHOLDER_SECRET_KEY and not embedded_demo:
        raise InsecureSettings(
            "SECRET_KEY is still the placeholder. Set SECRET_KEY to a long random value"
            " (for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            " before running the platform outside the embedded demo."
        )


class CatchErrors:
    """Turn any unhandled exception into a 500 JSON answer without its traceback
    (which goes to the log, with the request line, for the operator)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            log.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late to answer differently; the server closes the connection
                raise
            answer = JSONResponse(
                errors.error_body("internal", errors.INTERNAL), status_code=500
            )
            await answer(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    services: ApiServices | None = None,
    mail: MailConfig | None = None,
    login_purge_every_s: float | None = LOGIN_PURGE_EVERY_S,
    first_login_purge_after_s: float = FIRST_PURGE_AFTER_S,
) -> FastAPI:
    """Build the API from the entry point's settings. Tests pass their own settings
    and session factory; `services` are what the API may not import itself
    (remote actions, charger claims: api.services); `mail` is where account mail
    goes (default: built from `settings`). While serving, expired logins are
    purged every `login_purge_every_s` (api/upkeep.py). Refuses (InsecureSettings)
    the placeholder SECRET_KEY outside the embedded demo."""
    check_secret_key(settings)
    engine = None
    if session_factory is None:
        engine = make_engine(settings.database_url, pool_pre_ping=True)
        session_factory = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        log.info("API %s serving %s", app.version, API_PREFIX)
        async with purging_expired_logins(session_factory, every_s=login_purge_every_s,
                                          first_after_s=first_login_purge_after_s):
            yield
        if engine is not None:
            engine.dispose()

    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=platform_version(),
        openapi_tags=TAGS,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        lifespan=lifespan,
        docs_url=None,  # served offline by api.docs, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.services = services or ApiServices()
    app.state.mail = (mail, build_transport(mail)) if mail is not None else None
    app.state.temporal = TemporalConnection(settings.temporal_address, settings.temporal_namespace)
    app.add_middleware(CatchErrors)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=errors.ERROR_RESPONSES)
    app.include_router(payment_webhooks.router, prefix=API_PREFIX)
    app.include_router(account_mail.router, prefix=API_PREFIX)
    docs.install(app)
    portal_router = _portal_router()
    if portal_router is not None:
        app.include_router(portal_router)
    return app


def _portal_router():
    """`api.portal.router`: a module holding `router`, or an APIRouter attribute of
    the `api.portal` package. None while the portal is not there: the API runs
    without it."""
    try:
        return importlib.import_module("api.portal.router").router
    except ModuleNotFoundError as exc:
        if exc.name not in ("api", "api.portal", "api.portal.router"):
            raise
    try:
        portal = importlib.import_module("api.portal")
    except ModuleNotFoundError as exc:
        if exc.name != "api.portal":
            raise
        return None
    return getattr(portal, "router", None)
