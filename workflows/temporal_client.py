"""Connecting to Temporal, written once for every process that talks to it (the
worker, the API; the OCPP ingest in phase 2 of issue 8).

A platform started by docker-compose may bring Temporal up after the process
that needs it, so connecting retries until a deadline; `wait_s=0` tries once
(the API answers its health check instead of waiting)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client

log = logging.getLogger(__name__)


async def connect_temporal(
    address: str,
    namespace: str,
    *,
    wait_s: float = 60.0,
    attempt_timeout_s: float = 5.0,
    retry_every_s: float = 1.0,
) -> Client:
    """A connected client, retrying failed attempts for up to `wait_s` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    attempt = 0
    while True:
        attempt += 1
        try:
            return await Client.connect(
                address,
                namespace=namespace,
                connect_timeout=timedelta(seconds=attempt_timeout_s),
            )
        except Exception as exc:  # noqa: BLE001  (the SDK raises RuntimeError for most)
            if loop.time() >= deadline:
                if wait_s <= 0:
                    raise
                raise RuntimeError(
                    f"Temporal at {address} is unreachable after {wait_s:.0f} s: {exc}"
                ) from exc
            if attempt == 1 or attempt % 10 == 0:
                log.warning("Waiting for Temporal at %s (%s)", address, exc)
            await asyncio.sleep(retry_every_s)
