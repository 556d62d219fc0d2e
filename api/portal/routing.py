"""The portal's router plumbing: a route class that turns refusals into HTML
pages (the REST API answers JSON; a browser gets a page with the brand), and the
portal's own static files and the partners' logos, served by this app (never a
CDN)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from api.auth import sessions
from api.deps import DbDep
from api.portal.branding import brand_for, logo_file
from api.portal.render import TEMPLATES
from db.models import User
from db.scope import principal_of
from domain.errors import DomainError, NotAllowed, NotFound

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent.parent / "static" / "portal"
STATIC_FILES = {"portal.css": "text/css", "portal.js": "text/javascript"}


def remember_db(request: Request, db: DbDep) -> None:
    """Every portal route's database session (the same one the view gets: FastAPI
    resolves a dependency once per request), kept for the error page. A second
    session would wait on the first's lock on SQLite (db.base begins IMMEDIATE)."""
    request.state.portal_db = db


def error_page(request: Request, *, status: int, title: str, message: str) -> Response:
    db = getattr(request.state, "portal_db", None)
    if db is None:
        with request.app.state.session_factory() as fresh:
            return error_page_with(request, fresh, status, title, message)
    db.rollback()
    return error_page_with(request, db, status, title, message)


def _principal(request: Request, db):
    """The logged-in user, if any, so an error page keeps the user's brand."""
    row = sessions.live_session(db, cookie_value=request.cookies.get(sessions.COOKIE_NAME))
    user = db.get(User, row.user_id) if row is not None else None
    return principal_of(user) if user is not None else None


def error_page_with(request: Request, db, status: int, title: str, message: str) -> Response:
    brand = brand_for(db, host=request.headers.get("host"), principal=_principal(request, db))
    return TEMPLATES.TemplateResponse(
        request,
        "portal/error.html",
        {"brand": brand, "title": title, "message": message},
        status_code=status,
    )


class PortalRoute(APIRoute):
    """Refusals raised by a portal view become branded HTML pages: not found (the
    object is outside the caller's subtree or does not exist: the same page) and
    not allowed. "Log in first" stays a redirect (api.errors)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                if exc.code == "auth.login_required":
                    raise
                # The page reads the database: off the event loop, like the view. On
                # SQLite a blocking wait for the write lock here would stall the
                # loop, and with it the request that holds the lock (CI saw a
                # 30-second 'database is locked' this way).
                if isinstance(exc, NotFound):
                    return await run_in_threadpool(
                        error_page, request, status=404, title="Not found",
                        message="This page does not exist, or it is not yours to see.")
                status = 403 if isinstance(exc, NotAllowed) else 400
                return await run_in_threadpool(
                    error_page, request, status=status, title="Not possible",
                    message=exc.message)

        return portal_handler


def portal_router() -> APIRouter:
    return APIRouter(
        route_class=PortalRoute, include_in_schema=False, dependencies=[Depends(remember_db)]
    )


assets = APIRouter(include_in_schema=False)


@assets.get("/assets/portal/{name}")
def portal_asset(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(404, f"There is no portal asset {name}.")
    return FileResponse(
        STATIC_DIR / name, media_type=STATIC_FILES[name],
        headers={"Cache-Control": "public, max-age=300"},
    )


@assets.get("/assets/logos/{name}.svg")
def logo(name: str) -> FileResponse:
    path = logo_file(name)
    if path is None:
        raise HTTPException(404, f"There is no logo {name}.")
    # SVG from our own package; the CSP keeps a logo from running scripts.
    return FileResponse(
        path, media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600",
                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
