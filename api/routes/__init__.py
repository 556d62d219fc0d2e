"""One router per resource; `api.app` mounts every router of `ROUTERS` under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import health

ROUTERS: list[APIRouter] = [health.router]
