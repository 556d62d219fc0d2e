"""Issue 7, item 4: charger passwords are machine secrets checked in
microseconds, so a fleet reconnecting after an ingest restart gets in; legacy
argon2 hashes are upgraded on first login and checked one at a time; refused
and timed-out handshakes are logged. The 2,000-charger storm is
`python bench/ocpp_storm.py --chargers 2000` (ingest in its own process); the
test runs the same storm in-process with OCPP_STORM_CHARGERS (default 300)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid

import pytest
from argon2 import PasswordHasher
from websockets.exceptions import InvalidStatus

from bench.ocpp_storm import run_storm
from db.models import ChargingPoint
from db.passwords import hash_password as argon2_hash
from domain.charger_secrets import is_charger_secret_hash
from energycloud.settings import Settings
from ocpp_ingest.auth import PasswordVerifier
from ocpp_ingest.server import IngestServer
from tests.ocpp.support import (
    PASSWORD,
    RecordingGateway,
    charger,
    charging_point,
    fast_options,
    pre_approve,
    raw_client,
    running_ingest,
)

STORM = int(os.environ.get("OCPP_STORM_CHARGERS", "300"))


async def test_a_fleet_reconnecting_at_once_after_an_ingest_restart_all_connect(
    session_factory,
):
    def make_server(port: int) -> IngestServer:
        return IngestServer(
            Settings(),
            session_factory,
            RecordingGateway(),
            f"storm-{uuid.uuid4().hex[:6]}",
            options=fast_options(port=port),
        )

    result = await run_storm(session_factory, STORM, make_server=make_server)
    assert result.refused == {}, result.line()
    assert result.connected == result.first_attempt == STORM
    assert result.legacy_checks == 0
    assert result.seconds_to_last < 10, result.line()


def _set_hash(session_factory, ocpp_id: str, password_hash: str) -> None:
    with session_factory() as s, s.begin():
        cp = s.query(ChargingPoint).filter_by(ocpp_id=ocpp_id).one()
        cp.password_hash = password_hash


async def test_a_legacy_argon2_hash_is_replaced_by_the_fast_form_on_first_login(
    session_factory,
):
    pre_approve(session_factory, "CP-OLD")
    _set_hash(session_factory, "CP-OLD", argon2_hash(PASSWORD))
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-OLD") as sim:
            assert sim.registration == "Accepted"
        stored = charging_point(session_factory, "CP-OLD").password_hash
        assert is_charger_secret_hash(stored)
        async with charger(server, "CP-OLD") as sim:
            assert sim.registration == "Accepted"
        assert server.verifier.legacy_checks == 1
        with pytest.raises(InvalidStatus):
            async with charger(server, "CP-OLD", password="not-it"):
                pass


async def test_legacy_argon2_checks_run_one_at_a_time_and_excess_waits_are_refused(
    session_factory,
):
    slow = PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)  # ~20 ms a check
    ids = [f"CP-ARGON-{n}" for n in range(8)]
    for ocpp_id in ids:
        pre_approve(session_factory, ocpp_id)
        _set_hash(session_factory, ocpp_id, slow.hash(PASSWORD))
    server = IngestServer(
        Settings(),
        session_factory,
        RecordingGateway(),
        f"argon-{uuid.uuid4().hex[:6]}",
        options=fast_options(),
        password_verifier=PasswordVerifier(slow, max_concurrent=1, max_waiting=2),
    )
    async with server:

        async def one(ocpp_id):
            try:
                async with raw_client(server, ocpp_id):
                    return 101
            except InvalidStatus as refused:
                return refused.response.status_code

        statuses = await asyncio.gather(*(one(i) for i in ids))
    assert set(statuses) <= {101, 503} and 503 in statuses and 101 in statuses
    assert server.verifier.legacy_checks == statuses.count(101)


async def test_refused_and_timed_out_handshakes_are_logged_with_their_reason(
    session_factory, caplog
):
    caplog.set_level(logging.INFO, logger="ocpp_ingest.admission")
    pre_approve(session_factory, "CP-LOG")
    async with running_ingest(session_factory) as server:
        with pytest.raises(InvalidStatus):
            async with raw_client(server, "CP-LOG", password="wrong"):
                pass
    async with running_ingest(session_factory, auth_timeout_s=0.000001) as server:
        with pytest.raises(InvalidStatus) as refused:
            async with raw_client(server, "CP-LOG"):
                pass
        assert refused.value.response.status_code == 503
    messages = [r.getMessage() for r in caplog.records]
    assert any("CP-LOG" in m and "401 Wrong password" in m for m in messages), messages
    assert any("CP-LOG" in m and "503 authentication did not finish" in m for m in messages)


async def test_repeated_wrong_passwords_for_one_id_are_refused_with_429_others_get_in(
    session_factory,
):
    pre_approve(session_factory, "CP-GUESS")
    pre_approve(session_factory, "CP-NEIGHBOUR")
    async with running_ingest(session_factory, auth_failures_per_minute=3) as server:
        statuses = []
        for n in range(5):
            try:
                async with raw_client(server, "CP-GUESS", password=f"guess-{n}"):
                    statuses.append(101)
            except InvalidStatus as refused:
                statuses.append(refused.response.status_code)
        assert statuses == [401, 401, 401, 429, 429]
        async with raw_client(server, "CP-NEIGHBOUR") as client:  # same address
            assert (await client.exchange([2, "hb", "Heartbeat", {}]))[0] == 3
