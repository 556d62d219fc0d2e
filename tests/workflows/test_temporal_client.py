"""Connecting to Temporal, the one function the worker and the API share: it
retries until Temporal answers, gives up with a sentence naming the address,
and tries once when told not to wait."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.helpers import free_port
from workflows.temporal_client import connect_temporal


@pytest.mark.temporal
async def test_it_connects_to_a_serving_temporal(temporal_client):
    address = temporal_client.service_client.config.target_host
    client = await connect_temporal(address, "default", wait_s=5)
    assert await client.service_client.check_health(timeout=timedelta(seconds=5))


async def test_it_retries_until_the_deadline_then_names_the_address():
    address = f"127.0.0.1:{free_port()}"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RuntimeError, match=f"Temporal at {address} is unreachable after 2 s"):
        await connect_temporal(address, "default", wait_s=2, attempt_timeout_s=1,
                               retry_every_s=0.5)
    assert loop.time() - started >= 2


async def test_without_waiting_it_tries_once():
    address = f"127.0.0.1:{free_port()}"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RuntimeError) as caught:
        await connect_temporal(address, "default", wait_s=0, attempt_timeout_s=1)
    assert "unreachable after" not in str(caught.value)
    assert loop.time() - started < 2
