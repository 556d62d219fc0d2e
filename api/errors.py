"""One error shape for every answer that is not a success:
`{"error": {"code": "<machine-readable>", "message": "<a sentence>"}}`.

DomainError → its HTTP status (domain.errors.http_status, plus the login and
authentication codes below); validation errors → 422 naming the field; HTTP
errors keep their status; anything else → 500 with a generic sentence (the
traceback goes to the log only, see `api.app.CatchErrors`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from domain.errors import DomainError, http_status

log = logging.getLogger(__name__)

# Codes whose status is not the kind's default.
STATUS_BY_CODE = {
    "auth.required": 401,
    "auth.login_refused": 401,
    "auth.login_throttled": 429,
    "unavailable": 503,
}
INTERNAL = "Something went wrong on our side. The error was logged; please try again."


class Problem(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    problems: list[Problem] | None = None


class ErrorOut(BaseModel):
    """The body of every error answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "locations.not_found", "message": "location 9 was not found"}}]})
    error: ErrorDetail


def _described(text: str) -> dict:
    return {"model": ErrorOut, "description": text}


# Documented on every /api/v1 operation (api.app mounts the routers with them).
ERROR_RESPONSES = {
    400: _described("The request is malformed"),
    401: _described("Not logged in, or the login is refused"),
    403: _described("Visible, but the role may not do this"),
    404: _described("Not found in the caller's subtree"),
    409: _described("Clashes with what is already there"),
    422: _described("Invalid input; the message says how to fix it"),
    429: _described("Too many failed logins"),
}


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(status: int, code: str, message: str, headers=None, **extra) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


async def domain_error(request: Request, exc: DomainError) -> Response:
    if exc.code == "auth.login_required":
        target = "/login?next=" + getattr(exc, "next_url", "/")
        return RedirectResponse(target, status_code=303)
    status = STATUS_BY_CODE.get(exc.code, http_status(exc))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, exc.code, exc.message, headers=headers)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "request"


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": "request", "message": "invalid"}
    sentence = f"{first['field']}: {first['message']}"
    if len(problems) > 1:
        sentence += f" (and {len(problems) - 1} more)"
    return error_response(422, "invalid", sentence, problems=problems)


_HTTP_CODES = {400: "bad_request", 401: "auth.required", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large",
               415: "unsupported_media_type", 429: "too_many_requests", 503: "unavailable"}


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else "The request was refused."
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}."
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return error_response(exc.status_code, code, detail, headers=getattr(exc, "headers", None))


async def database_refusal(request: Request, exc: DBAPIError) -> JSONResponse:
    """The database refused a write the checks let through (a unique name taken by
    a concurrent request, a value one backend cannot store): 409 / 422, never 500."""
    log.warning("Database refused %s %s: %s", request.method, request.url.path, exc.orig)
    if isinstance(exc, IntegrityError):
        return error_response(409, "conflict", "This clashes with data that is already there"
                              " (a name, id or link that must be unique or must exist).")
    return error_response(422, "invalid", "A value cannot be stored: check lengths, numbers"
                          " and characters.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, database_refusal)
    app.add_exception_handler(DataError, database_refusal)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
