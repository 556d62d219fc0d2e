"""The audit log, read by those who may see the objects it is about."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import ScopedQuery
from api.pagination import Page, PageDep, paginate
from api.routes.resources import ERRORS
from db.models import AuditEntry

router = APIRouter(tags=["audit"])


class AuditOut(BaseModel):
    model_config = {"from_attributes": True, "json_schema_extra": {"examples": [{
        "id": 7, "at": "2026-12-01T10:00:00Z", "user_id": 3,
        "actor": "admin@voltpartners.example", "action": "location.update",
        "object_type": "location", "object_id": "1",
        "before": {"access_mode": "open"}, "after": {"access_mode": "whitelisting"}}]}}
    id: int
    at: datetime
    user_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict | None
    after: dict | None


@router.get("/audit", response_model=Page[AuditOut], responses=ERRORS,
            summary="Changes and remote actions, newest first")
def list_audit(
    scoped: ScopedQuery, page: PageDep,
    object_type: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    object_id: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z_\-]+$")] = None,
    since: datetime | None = None,
) -> Page[AuditOut]:
    query = scoped.select(AuditEntry)
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return paginate(scoped.db, query, page, AuditOut.model_validate)
