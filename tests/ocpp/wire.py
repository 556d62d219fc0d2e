"""Helpers for the wire-level charger tests: a heartbeat that proves a socket is
still open, the HTTP status of a refused upgrade, a row count."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from ocpp_ingest.auth import basic_auth_header

HEARTBEAT = '[2, "hb", "Heartbeat", {}]'


async def still_open(client) -> None:
    answer = await client.exchange(HEARTBEAT)
    assert answer[:2] == [3, "hb"], answer


async def upgrade_status(url: str, path_id: str, user: str, password: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"{url}/{path_id}",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": basic_auth_header(user, password)},
        ):
            pass
    return refused.value.response.status_code


def count_rows(session_factory, model) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))
