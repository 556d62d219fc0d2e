"""CSRF protection for the portal's forms: every unsafe request made with the
session cookie must carry the session's CSRF token, as the form field
`csrf_token` or the header `X-CSRF-Token`. Bearer tokens and API keys are not
sent by browsers on their own, so requests authenticated that way need none."""

from __future__ import annotations

from starlette.requests import Request

from db.auth import same_secret
from domain.errors import NotAllowed

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(NotAllowed):
    code = "auth.csrf"

    def __init__(self) -> None:
        super().__init__(
            "The form is out of date or was not sent by this site. Reload the page and try again."
        )


async def presented_token(request: Request) -> str | None:
    token = request.headers.get(HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # starlette caches it: the route reads it again
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request, expected: str | None) -> None:
    if request.method in SAFE_METHODS:
        return
    presented = await presented_token(request)
    if not expected or not presented or not same_secret(presented, expected):
        raise CsrfRefused()
