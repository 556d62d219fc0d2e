"""One router per resource; `api.app` mounts every router of `ROUTERS` under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import auth, health

ROUTERS: list[APIRouter] = [health.router, auth.router]

TAGS = [
    {"name": "health", "description": "Is the platform up: database and Temporal."},
    {"name": "auth", "description": "Log in (OAuth2 password flow), log out, change the"
     " password, API keys for partner integrations."},
]
