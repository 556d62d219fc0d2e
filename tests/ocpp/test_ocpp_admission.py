"""Issue 7, charger side, over real sockets against a real ingest: unknown
chargers cost nothing unless allowed (2), onboarding cannot be hijacked and ids
are checked before anything is stored (3)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from db.models import ChargingPoint, MeterValue, OcppDataTransfer, OcppTransaction
from db.tree_service import TreeError, add_charging_point
from domain.charger_ids import ocpp_id_problem
from domain.enums import ChargingPointState as State
from ocpp_ingest.onboarding import ClaimNotProven, claim_energized_charging_point
from tests.ocpp.support import (
    PASSWORD,
    charger,
    charging_point,
    pre_approve,
    raw_client,
    rows,
    running_ingest,
    seed_location,
)
from tests.ocpp.wire import count_rows, still_open, upgrade_status

# -- 2: unknown and pending chargers --------------------------------------------


async def test_unknown_chargers_are_refused_by_default(session_factory):
    async with running_ingest(session_factory) as server:
        assert not server.options.allow_unknown_chargers
        assert await upgrade_status(server.url, "CP-WHO", "CP-WHO", PASSWORD) == 404
    assert count_rows(session_factory, ChargingPoint) == 0


PENDING_FRAMES = [
    '[2, "p1", "StartTransaction", {"connectorId": 1, "idTag": "ACCEPTED-1", "meterStart": 0, '
    '"timestamp": "2024-05-01T08:00:00Z"}]',
    '[2, "p2", "DataTransfer", {"vendorId": "ACME", "data": "' + "z" * 50_000 + '"}]',
    '[2, "p3", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", '
    '"status": "Charging"}]',
    '[2, "p4", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": '
    '"2024-05-01T08:00:00Z", "sampledValue": [{"value": "10"}]}]}]',
    '[2, "p5", "Authorize", {"idTag": "ACCEPTED-1"}]',
]


async def test_a_pending_charger_may_only_boot_and_heartbeat(session_factory):
    async with running_ingest(session_factory, allow_unknown_chargers=True) as server:
        async with raw_client(server, "CP-PEND", password="its-own") as client:
            boot = await client.exchange(
                '[2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]'
            )
            assert boot[2]["status"] == "Pending"
            for frame in PENDING_FRAMES:
                answer = await client.exchange(frame)
                assert answer[0] == 4 and answer[2] == "SecurityError", answer
            await still_open(client)
    assert count_rows(session_factory, OcppTransaction) == 0
    assert count_rows(session_factory, OcppDataTransfer) == 0
    assert count_rows(session_factory, MeterValue) == 0
    assert server.ctx.gateway.authorizations == [] and server.ctx.gateway.starts == []


async def test_pending_admissions_are_capped_and_rate_limited_per_address(session_factory):
    async with running_ingest(
        session_factory,
        allow_unknown_chargers=True,
        max_pending_chargers=5,
        pending_admissions_per_minute=3,
    ) as server:
        statuses = []
        for n in range(4):
            try:
                async with raw_client(server, f"CP-NEW-{n}", password="pw-of-" + str(n)):
                    statuses.append(101)
            except InvalidStatus as refused:
                statuses.append(refused.response.status_code)
        assert statuses == [101, 101, 101, 429]
    assert count_rows(session_factory, ChargingPoint) == 3
    async with running_ingest(
        session_factory, allow_unknown_chargers=True, max_pending_chargers=3
    ) as server:
        assert await upgrade_status(server.url, "CP-NEW-9", "CP-NEW-9", "x") == 503
    assert count_rows(session_factory, ChargingPoint) == 3


# -- 3: ids and onboarding -------------------------------------------------------


@pytest.mark.parametrize(
    ("ocpp_id", "ok"),
    [
        ("CP-01", True),
        ("a" * 48, True),
        ("a" * 49, False),
        ("CP:01", False),
        ("CP 01", False),
        ("CP\x0001", False),
        ("CP\t01", False),
        ("CPé01", False),
        ("", False),
        ("CP/01", False),
    ],
)
def test_charger_ids_follow_one_rule(ocpp_id, ok):
    assert (ocpp_id_problem(ocpp_id) is None) is ok


async def test_bad_ids_are_refused_at_the_upgrade_before_anything_is_stored(session_factory):
    async with running_ingest(session_factory, allow_unknown_chargers=True) as server:
        for path_id, _user in [
            ("CP%00NUL", "CP\x00NUL"),
            ("CP%20SP", "CP SP"),
            ("A" * 49, "A" * 49),
            ("CP%3A1", "CP:1"),
            ("CP%C3%A91", "CPé1"),
        ]:
            assert await upgrade_status(server.url, path_id, "x", "pw") == 400, path_id
    assert count_rows(session_factory, ChargingPoint) == 0


async def test_an_id_differing_only_by_case_is_the_same_charger(session_factory):
    pre_approve(session_factory, "CP-CASE")
    _customer, location_id = seed_location(session_factory)
    with session_factory() as s, pytest.raises(TreeError):
        add_charging_point(s, location_id=location_id, ocpp_id="cp-case", password="x")
    async with running_ingest(session_factory, allow_unknown_chargers=True) as server:
        assert await upgrade_status(server.url, "cp-case", "cp-case", "wrong") == 401
        async with charger(server, "cp-case") as sim:  # its own password, other case
            assert sim.registration == "Accepted"
            assert "CP-CASE" in server.live
    assert [cp.ocpp_id for cp in rows(session_factory, select(ChargingPoint))] == ["CP-CASE"]


async def test_an_impostor_that_connected_first_cannot_be_claimed(session_factory):
    customer_id, location_id = seed_location(session_factory)

    def claim(password):
        with session_factory() as s, s.begin():
            return claim_energized_charging_point(
                s,
                ocpp_id="CP-REAL",
                customer_id=customer_id,
                location_id=location_id,
                password=password,
                ingest_url=server.url,
                offline_after_s=60,
            )

    async with running_ingest(
        session_factory, allow_unknown_chargers=True, pending_boot_interval_s=1
    ) as server:
        async with charger(server, "CP-REAL", password="impostor-pw") as impostor:
            assert impostor.registration == "Pending"
            with pytest.raises(ClaimNotProven):
                claim("the-real-devices-pw")
            assert charging_point(session_factory, "CP-REAL").state == State.PENDING
        # The real device is not locked out by whoever came first...
        async with charger(server, "CP-REAL", password="the-real-devices-pw") as real:
            assert real.registration == "Pending"
            claim("the-real-devices-pw")
            assert await real.boot_until_accepted(timeout_s=5) == "Accepted"
        # ...and once claimed, the impostor's password is refused.
        assert await upgrade_status(server.url, "CP-REAL", "CP-REAL", "impostor-pw") == 401
    cp = charging_point(session_factory, "CP-REAL")
    assert cp.state != State.PENDING and cp.location_id == location_id


async def test_an_impostor_socket_still_open_when_the_real_one_is_claimed_is_rejected(
    session_factory,
):
    customer_id, location_id = seed_location(session_factory)
    async with running_ingest(
        session_factory, allow_unknown_chargers=True, pending_boot_interval_s=1
    ) as server:
        async with charger(server, "CP-TWO", password="real-pw") as real:
            assert real.registration == "Pending"
            cp = server.live["CP-TWO"]
            # The owner's claim sets what the real device proved; a socket admitted
            # with another hash (as if an impostor's) is rejected at its next boot.
            cp.password_hash = "hmac-sha256$00$00"
            with session_factory() as s, s.begin():
                claim_energized_charging_point(
                    s,
                    ocpp_id="CP-TWO",
                    customer_id=customer_id,
                    location_id=location_id,
                    password="real-pw",
                    ingest_url=server.url,
                    offline_after_s=60,
                )
            assert await real.boot() == "Rejected"


# -- loose end: a 2.0.1 station-level status does not outlive a boot -------------


async def test_a_2_0_1_station_level_unavailable_is_cleared_by_a_later_boot(session_factory):
    from db.models import ChargingPointStatus

    cp_id = pre_approve(session_factory, "CP-STATION")
    boot = (
        '[2, "b{n}", "BootNotification", {{"reason": "PowerUp", "chargingStation": '
        '{{"model": "M", "vendorName": "V"}}}}]'
    )
    unavailable = (
        '[2, "s1", "StatusNotification", {"timestamp": "2024-01-01T00:00:00Z", '
        '"connectorStatus": "Unavailable", "evseId": 0, "connectorId": 0}]'
    )
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-STATION", "ocpp2.0.1") as client:
            assert (await client.exchange(boot.format(n=1)))[2]["status"] == "Accepted"
            assert (await client.exchange(unavailable))[0] == 3
            with session_factory() as s:
                assert s.get(ChargingPointStatus, cp_id).status == "Unavailable"
            assert (await client.exchange(boot.format(n=2)))[2]["status"] == "Accepted"
    with session_factory() as s:
        assert s.get(ChargingPointStatus, cp_id) is None
