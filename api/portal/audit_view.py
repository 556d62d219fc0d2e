"""The audit log in the portal: who changed what and when, before and after,
for one object or everything the caller may see (`db.audit.list_for` scopes the
entries like their objects)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.requests import Request
from starlette.responses import Response

from api.deps import PortalScopedQuery
from api.portal.render import page
from api.portal.routing import portal_router
from db import audit

router = portal_router()
PAGE_SIZE = 50


def changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """The fields that differ, as (field, before, after)."""
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return [(k, before.get(k), after.get(k)) for k in keys if k not in ("created_at",)]


@router.get("/audit")
def audit_log(
    request: Request,
    scoped: PortalScopedQuery,
    object_type: str | None = None,
    object_id: str | None = None,
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    entries = audit.list_for(
        scoped.db, principal=scoped.caller, object_type=object_type or None,
        object_id=object_id or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
    )
    return page(request, scoped.db, "audit.html", caller=scoped.caller, active="audit",
                title="Audit log", entries=entries, changes=changes,
                object_type=object_type, object_id=object_id, page_no=page_no,
                more=len(entries) == PAGE_SIZE)
