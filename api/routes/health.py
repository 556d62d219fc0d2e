"""Liveness and readiness: is the database answering, is Temporal reachable."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import SessionDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    platform: str
    version: str
    database: Literal["ok", "error"]
    temporal: Literal["ok", "unreachable"]


def _database_answers(session: Session) -> bool:
    try:
        session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        log.exception("Database health check failed")
        return False


@router.get(
    "/health",
    response_model=Health,
    summary="Platform health",
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
async def health(request: Request, response: Response, session: SessionDep) -> Health:
    """The database must answer for the API to be healthy (503 otherwise). Temporal
    is reported but does not fail the check: reads keep working without it."""
    database_ok = await run_in_threadpool(_database_answers, session)
    temporal_ok = await request.app.state.temporal.reachable(timeout_s=2.0)
    if not database_ok:
        response.status_code = 503
    return Health(
        status="ok" if database_ok and temporal_ok else "degraded",
        platform=request.app.title,
        version=request.app.version,
        database="ok" if database_ok else "error",
        temporal="ok" if temporal_ok else "unreachable",
    )
