"""Connecting: security profile 1 at the upgrade, subprotocol choice, onboarding
in both scenarios (DOMAIN.md §9), connection state and the offline sweeper."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from db.models import ChargingPoint
from domain.enums import ChargingPointState as State
from ocpp_ingest.auth import basic_auth_header
from ocpp_ingest.onboarding import (
    ChargerNotConnected,
    ChargingPointExists,
    claim_energized_charging_point,
)
from tests.ocpp.support import (
    PASSWORD,
    charger,
    charging_point,
    eventually,
    pre_approve,
    rows,
    running_ingest,
    seed_location,
)


async def _status_of_upgrade(
    url: str, ocpp_id: str, password: str | None, subprotocols=("ocpp1.6",)
) -> int:
    headers = {} if password is None else {"Authorization": basic_auth_header(ocpp_id, password)}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"{url}/{ocpp_id}", subprotocols=list(subprotocols), additional_headers=headers
        ):
            pass
    return refused.value.response.status_code


async def test_wrong_password_and_missing_credentials_are_refused_at_upgrade(session_factory):
    pre_approve(session_factory, "CP-AUTH")
    async with running_ingest(session_factory) as server:
        assert await _status_of_upgrade(server.url, "CP-AUTH", "wrong") == 401
        assert await _status_of_upgrade(server.url, "CP-AUTH", None) == 401
        async with charger(server, "CP-AUTH") as sim:
            assert sim.registration == "Accepted"


async def test_unknown_charger_is_refused_when_unknown_chargers_are_not_allowed(session_factory):
    async with running_ingest(session_factory, allow_unknown_chargers=False) as server:
        assert await _status_of_upgrade(server.url, "CP-NOBODY", PASSWORD) == 404
    assert rows(session_factory, select(ChargingPoint)) == []


async def test_removed_charging_point_is_refused(session_factory):
    cp_id = pre_approve(session_factory, "CP-GONE")
    with session_factory() as s, s.begin():
        s.get(ChargingPoint, cp_id).state = State.REMOVED
    async with running_ingest(session_factory) as server:
        assert await _status_of_upgrade(server.url, "CP-GONE", PASSWORD) == 403


async def test_wrong_path_is_404(session_factory):
    async with running_ingest(session_factory) as server:
        base = server.url.removesuffix("/ocpp")
        assert await _status_of_upgrade(base + "/other", "CP-X", PASSWORD) == 404


@pytest.mark.parametrize("offered", [["ocpp1.5"], []])
async def test_unsupported_or_missing_subprotocol_is_closed_with_a_reason(session_factory, offered):
    pre_approve(session_factory, "CP-PROTO")
    async with running_ingest(session_factory) as server:
        async with connect(
            f"{server.url}/CP-PROTO",
            subprotocols=offered or None,
            additional_headers={"Authorization": basic_auth_header("CP-PROTO", PASSWORD)},
        ) as ws:
            assert ws.subprotocol is None  # handshake completes without one (OCPP-J §3)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 1002
    assert "ocpp1.6 or ocpp2.0.1" in closed.value.rcvd.reason
    assert charging_point(session_factory, "CP-PROTO").online is False


async def test_subprotocol_is_chosen_in_the_chargers_order_of_preference(session_factory):
    pre_approve(session_factory, "CP-PREF")
    headers = {"Authorization": basic_auth_header("CP-PREF", PASSWORD)}
    async with running_ingest(session_factory) as server:
        for offered in (["ocpp1.6", "ocpp2.0.1"], ["ocpp2.0.1", "ocpp1.6"]):
            async with connect(
                f"{server.url}/CP-PREF", subprotocols=offered, additional_headers=headers
            ) as ws:
                assert ws.subprotocol == offered[0]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_pre_approved_first_boot_completes_onboarding_once(session_factory, version):
    pre_approve(session_factory, "CP-NEW")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-NEW", version, boot=False) as sim:
            cp = await eventually(
                lambda: (c := charging_point(session_factory, "CP-NEW")).online and c
            )
            assert cp.state == State.PRE_APPROVED and cp.first_connected_at is None
            assert cp.connected_node == server.node_id
            assert await sim.boot() == "Accepted"
            first = charging_point(session_factory, "CP-NEW")
            assert first.state == State.CONNECTED
            assert first.first_connected_at is not None
            assert (first.vendor, first.model, first.firmware_version, first.serial_number) == (
                "EnergyCloud",
                "SimCharger",
                "1.0.0",
                "CP-NEW",
            )
            assert first.ocpp_protocol == sim.dialect.subprotocol
        # Disconnected: offline; a later boot never moves the billable start.
        await eventually(lambda: charging_point(session_factory, "CP-NEW").state == State.OFFLINE)
        async with charger(server, "CP-NEW", version, firmware="2.0.0"):
            again = charging_point(session_factory, "CP-NEW")
            assert again.state == State.CONNECTED and again.firmware_version == "2.0.0"
            assert again.first_connected_at == first.first_connected_at


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_unknown_charger_is_held_pending_until_claimed(session_factory, version):
    customer_id, location_id = seed_location(session_factory)
    async with running_ingest(
        session_factory, pending_boot_interval_s=1, allow_unknown_chargers=True
    ) as server:
        async with charger(server, "CP-FOUND", version, password="its-own") as sim:
            assert sim.registration == "Pending" and sim.interval == 1
            cp = charging_point(session_factory, "CP-FOUND")
            assert cp.state == State.PENDING and cp.online  # online before its boot answer
            assert cp.location_id is None and cp.first_connected_at is None
            with session_factory() as s, s.begin():
                claimed = claim_energized_charging_point(
                    s,
                    ocpp_id="CP-FOUND",
                    customer_id=customer_id,
                    location_id=location_id,
                    password="its-own",
                    name="Found in the field",
                    ingest_url=server.url,
                    offline_after_s=60,
                )
                assert claimed.state == State.CONNECTED
            cp = charging_point(session_factory, "CP-FOUND")
            assert cp.first_connected_at is not None and cp.location_id == location_id
            # The charger retries its boot after the interval and is now accepted.
            assert await sim.boot_until_accepted(timeout_s=5) == "Accepted"
        # Its first password stays its password.
        async with charger(server, "CP-FOUND", version, password="its-own") as sim:
            assert sim.registration == "Accepted"
        with pytest.raises(InvalidStatus):
            async with charger(server, "CP-FOUND", version, password="another"):
                pass


async def test_claiming_a_charger_that_is_not_connected_says_what_to_do(session_factory):
    customer_id, location_id = seed_location(session_factory)
    with session_factory() as s, pytest.raises(ChargerNotConnected) as refused:
        claim_energized_charging_point(
            s,
            ocpp_id="CP-OFF",
            customer_id=customer_id,
            location_id=location_id,
            password="p",
            ingest_url="ws://ingest.example/ocpp",
        )
    assert str(refused.value) == (
        "charger CP-OFF is not connected: power it on and point it at "
        "ws://ingest.example/ocpp/CP-OFF, or add it as pre-approved"
    )
    pre_approve(session_factory, "CP-TAKEN")
    with session_factory() as s, pytest.raises(ChargingPointExists):
        claim_energized_charging_point(
            s,
            ocpp_id="CP-TAKEN",
            customer_id=customer_id,
            location_id=location_id,
            password=PASSWORD,
            ingest_url="ws://x/ocpp",
        )


async def test_pending_charger_that_went_offline_cannot_be_claimed(session_factory):
    customer_id, location_id = seed_location(session_factory)
    async with running_ingest(session_factory, allow_unknown_chargers=True) as server:
        async with charger(server, "CP-BRIEF", password="p"):
            pass
        await eventually(lambda: not charging_point(session_factory, "CP-BRIEF").online)
    with session_factory() as s, pytest.raises(ChargerNotConnected):
        claim_energized_charging_point(
            s,
            ocpp_id="CP-BRIEF",
            customer_id=customer_id,
            location_id=location_id,
            password="p",
            ingest_url="ws://x/ocpp",
        )


async def test_sweeper_marks_silent_chargers_offline_and_they_come_back(session_factory):
    pre_approve(session_factory, "CP-QUIET")
    async with running_ingest(session_factory, offline_after_s=0.3, sweep_interval_s=0.1) as server:
        async with charger(server, "CP-QUIET") as sim:
            assert charging_point(session_factory, "CP-QUIET").online
            await eventually(
                lambda: charging_point(session_factory, "CP-QUIET").state == State.OFFLINE,
                timeout=5,
            )
            cp = charging_point(session_factory, "CP-QUIET")
            assert not cp.online and cp.connected_node is None
            # The silent socket was closed, so the charger reconnects and is back.
            await eventually(lambda: sim._reader.done(), timeout=5)
        async with charger(server, "CP-QUIET"):
            back = charging_point(session_factory, "CP-QUIET")
            assert back.online and back.state == State.CONNECTED


async def test_every_message_keeps_last_seen_current(session_factory):
    pre_approve(session_factory, "CP-SEEN")
    async with running_ingest(session_factory, offline_after_s=0.6) as server:
        async with charger(server, "CP-SEEN") as sim:
            before = charging_point(session_factory, "CP-SEEN").last_seen_at
            await asyncio.sleep(0.05)
            await sim.heartbeat()
            await eventually(
                lambda: charging_point(session_factory, "CP-SEEN").last_seen_at > before
            )


async def test_reconnect_replaces_the_old_socket(session_factory):
    pre_approve(session_factory, "CP-TWICE")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-TWICE") as first:
            async with charger(server, "CP-TWICE") as second:
                await eventually(lambda: first._reader.done())
                assert server.live["CP-TWICE"].connection is not None
                await second.heartbeat()
                assert charging_point(session_factory, "CP-TWICE").online
        await eventually(lambda: not charging_point(session_factory, "CP-TWICE").online)
