"""Dependencies the routes declare by intent: `SessionDep`, `SettingsDep`, `TemporalDep`.

Everything here reads from `app.state`, filled by `api.app.create_app`, so tests
build an app on their own database and settings without patching globals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from temporalio.client import Client

from workflows.temporal_client import connect_temporal

log = logging.getLogger(__name__)


class Settings(Protocol):
    """What the API needs of the process settings. The entry point
    (`energycloud api`) hands in its `energycloud.settings.Settings`; the API
    never reads settings itself."""

    database_url: str
    temporal_address: str
    temporal_namespace: str


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
