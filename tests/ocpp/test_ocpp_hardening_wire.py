"""Issue 7, charger side, over real sockets against a real ingest: what a charger
gets wrong is answered as its fault and never crashes the socket (items 10-13
framing), unsolicited responses and floods cost nothing lasting (1), unknown
chargers cost nothing unless allowed (2), onboarding cannot be hijacked and ids
are checked before anything is stored (3)."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from db.models import ChargingPoint, MeterValue, OcppDataTransfer, OcppTransaction
from db.tree_service import TreeError, add_charging_point
from domain.charger_ids import ocpp_id_problem
from domain.enums import ChargingPointState as State
from ocpp_ingest.auth import basic_auth_header
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

HEARTBEAT = '[2, "hb", "Heartbeat", {}]'


async def _still_open(client) -> None:
    answer = await client.exchange(HEARTBEAT)
    assert answer[:2] == [3, "hb"], answer


async def _upgrade_status(url: str, path_id: str, user: str, password: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"{url}/{path_id}",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": basic_auth_header(user, password)},
        ):
            pass
    return refused.value.response.status_code


def _count(session_factory, model) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


# -- 10, 11, 13: values and frames that are the charger's fault ------------------

BIG = 2**70
OUT_OF_RANGE_16 = [
    (
        "connectorId 2^70",
        f'[2, "v1", "StatusNotification", {{"connectorId": {BIG}, "errorCode": "NoError", '
        '"status": "Available"}]',
        "PropertyConstraintViolation",
    ),
    (
        "meterStart 1.2e29",
        '[2, "v2", "StartTransaction", {"connectorId": 1, "idTag": "ACCEPTED-1", '
        '"meterStart": 120000000000000000000000000000, "timestamp": "2024-05-01T08:00:00Z"}]',
        "PropertyConstraintViolation",
    ),
    (
        "timestamp pushed past year 9999 by its offset",
        '[2, "v3", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", '
        '"status": "Available", "timestamp": "9999-12-31T23:59:59-05:00"}]',
        "PropertyConstraintViolation",
    ),
    (
        "timestamp pushed before year 1 by its offset",
        '[2, "v4", "StartTransaction", {"connectorId": 1, "idTag": "ACCEPTED-1", '
        '"meterStart": 0, "timestamp": "0001-01-01T00:00:00+05:00"}]',
        "PropertyConstraintViolation",
    ),
    (
        "meter value 1e999999999",
        '[2, "v5", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": '
        '"2024-05-01T08:00:00Z", "sampledValue": [{"value": "1e999999999"}]}]}]',
        "PropertyConstraintViolation",
    ),
    (
        "a lone surrogate in DataTransfer",
        '[2, "v6", "DataTransfer", {"vendorId": "ACME", "data": "\\ud800x"}]',
        "FormationViolation",
    ),
    (
        "a NUL in DataTransfer",
        '[2, "v7", "DataTransfer", {"vendorId": "ACME", "data": "a\\u0000b"}]',
        "PropertyConstraintViolation",
    ),
    (
        "JSON nested 1,000 deep",
        '[2, "v8", "DataTransfer", {"vendorId": "ACME", "data": ' + "[" * 1000 + "]" * 1000 + "}]",
        "FormationViolation",
    ),
    (
        "payload nested 100 deep",
        '[2, "v9", "DataTransfer", {"vendorId": "ACME", "data": ' + "[" * 100 + "]" * 100 + "}]",
        "FormationViolation",
    ),
    ("message type 2.0", '[2.0, "v10", "Heartbeat", {}]', "PropertyConstraintViolation"),
    ("numeric message id", '[2, 12, "Heartbeat", {}]', "FormationViolation"),
]


@pytest.mark.parametrize(
    ("name", "frame", "code"), OUT_OF_RANGE_16, ids=[c[0] for c in OUT_OF_RANGE_16]
)
async def test_values_out_of_range_blame_the_charger_and_the_socket_stays(
    session_factory, name, frame, code
):
    pre_approve(session_factory, "CP-RANGE")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-RANGE") as client:
            answer = await client.exchange(frame)
            assert answer[0] == 4 and answer[2] == code, (name, answer)
            assert answer[1] in ("-1",) or answer[1].startswith("v"), answer
            await _still_open(client)
    assert _count(session_factory, OcppDataTransfer) == 0
    assert _count(session_factory, OcppTransaction) == 0


OUT_OF_RANGE_201 = [
    (
        "evseId 2^70",
        f'[2, "w1", "StatusNotification", {{"timestamp": "2024-01-01T00:00:00Z", '
        f'"connectorStatus": "Available", "evseId": {BIG}, "connectorId": 1}}]',
        "PropertyConstraintViolation",
    ),
    ("a lone surrogate", '[2, "w2", "DataTransfer", {"vendorId": "\\udc00"}]', "FormatViolation"),
    (
        "JSON nested 1,000 deep",
        '[2, "w3", "DataTransfer", {"vendorId": "A", "data": ' + "[" * 1000 + "]" * 1000 + "}]",
        "RpcFrameworkError",
    ),
    (
        "numeric value 1e999999999 (infinite)",
        '[2, "w4", "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": '
        '"2024-05-01T08:00:00Z", "sampledValue": [{"value": 1e999999999}]}]}]',
        "PropertyConstraintViolation",
    ),
    (
        "a 10^2147483647 multiplier",
        '[2, "w5", "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": '
        '"2024-05-01T08:00:00Z", "sampledValue": [{"value": 1, "unitOfMeasure": '
        '{"unit": "Wh", "multiplier": 2147483647}}]}]}]',
        "PropertyConstraintViolation",
    ),
    ("message type 2.0", '[2.0, "w6", "Heartbeat", {}]', "MessageTypeNotSupported"),
    ("numeric message id", '[2, 12, "Heartbeat", {}]', "RpcFrameworkError"),
]


@pytest.mark.parametrize(
    ("name", "frame", "code"), OUT_OF_RANGE_201, ids=[c[0] for c in OUT_OF_RANGE_201]
)
async def test_values_out_of_range_blame_the_charger_in_2_0_1_spelling(
    session_factory, name, frame, code
):
    pre_approve(session_factory, "CP-RANGE2")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-RANGE2", "ocpp2.0.1") as client:
            answer = await client.exchange(frame)
            assert answer[0] == 4 and answer[2] == code, (name, answer)
            await _still_open(client)
    assert _count(session_factory, MeterValue) == 0


async def test_binary_frames_get_a_call_error_saying_text_frames(session_factory):
    pre_approve(session_factory, "CP-BIN")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-BIN") as client:
            await client.ws.send(HEARTBEAT.encode())
            answer = await client.recv()
            assert answer[:3] == [4, "hb", "FormationViolation"]
            assert "text frames" in answer[4]["cause"]
            await _still_open(client)


async def test_a_refused_megabyte_frame_is_logged_and_echoed_only_as_an_excerpt(
    session_factory, caplog
):
    pre_approve(session_factory, "CP-BIG")
    caplog.set_level(logging.DEBUG)
    huge = '[2, "big", "DataTransfer", {"vendorId": "ACME", "data": "' + "x" * 1_000_000 + '"}]'
    broken = "not json " + "y" * 1_000_000
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-BIG") as client:
            answer = await client.exchange(huge)
            assert answer[:3] == [4, "big", "FormationViolation"]
            assert len(json.dumps(answer)) < 1000
            answer = await client.exchange(broken)
            assert answer[:3] == [4, "-1", "FormationViolation"]
            assert len(json.dumps(answer)) < 1000
            await _still_open(client)
    assert max(len(r.getMessage()) for r in caplog.records) < 2000
    assert _count(session_factory, OcppDataTransfer) == 0


# -- 1: unsolicited responses and budgets ----------------------------------------


async def test_unsolicited_responses_are_dropped_and_counted_never_queued(session_factory):
    pre_approve(session_factory, "CP-UNSOL")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-UNSOL") as client:
            for n in range(50):
                await client.send([3, f"nobody-asked-{n}", {"x": "y" * 1000}])
                await client.send([4, f"nobody-asked-e{n}", "GenericError", "", {}])
            await _still_open(client)
            cp = server.live["CP-UNSOL"]
            assert cp._response_queue.qsize() == 0
            assert cp.unsolicited == 100
            assert server.ctx.counters["unsolicited_responses"] == 100


async def test_a_socket_over_its_message_budget_is_closed_with_the_reason_logged(
    session_factory, caplog
):
    pre_approve(session_factory, "CP-FLOOD")
    async with running_ingest(session_factory, max_messages_per_s=5, message_burst=20) as server:
        async with raw_client(server, "CP-FLOOD") as client:
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(200):
                    await client.send(HEARTBEAT)
                for _ in range(200):
                    await client.recv()
        assert closed.value.rcvd.code == 1008
        assert "message budget" in closed.value.rcvd.reason
        assert server.ctx.counters["closed_over_budget"] == 1
    assert any("CP-FLOOD" in r.getMessage() and "budget" in r.getMessage() for r in caplog.records)


async def test_a_socket_over_its_byte_budget_is_closed(session_factory):
    pre_approve(session_factory, "CP-BYTES")
    async with running_ingest(
        session_factory, max_bytes_per_s=10_000, byte_burst=200_000
    ) as server:
        async with raw_client(server, "CP-BYTES") as client:
            with pytest.raises(ConnectionClosed) as closed:
                for n in range(20):
                    await client.send([3, f"r{n}", {"x": "y" * 100_000}])
                await client.recv()
        assert closed.value.rcvd.code == 1008
        assert "byte budget" in closed.value.rcvd.reason


# -- 2: unknown and pending chargers --------------------------------------------


async def test_unknown_chargers_are_refused_by_default(session_factory):
    async with running_ingest(session_factory) as server:
        assert not server.options.allow_unknown_chargers
        assert await _upgrade_status(server.url, "CP-WHO", "CP-WHO", PASSWORD) == 404
    assert _count(session_factory, ChargingPoint) == 0


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
            await _still_open(client)
    assert _count(session_factory, OcppTransaction) == 0
    assert _count(session_factory, OcppDataTransfer) == 0
    assert _count(session_factory, MeterValue) == 0
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
    assert _count(session_factory, ChargingPoint) == 3
    async with running_ingest(
        session_factory, allow_unknown_chargers=True, max_pending_chargers=3
    ) as server:
        assert await _upgrade_status(server.url, "CP-NEW-9", "CP-NEW-9", "x") == 503
    assert _count(session_factory, ChargingPoint) == 3


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
            assert await _upgrade_status(server.url, path_id, "x", "pw") == 400, path_id
    assert _count(session_factory, ChargingPoint) == 0


async def test_an_id_differing_only_by_case_is_the_same_charger(session_factory):
    pre_approve(session_factory, "CP-CASE")
    _customer, location_id = seed_location(session_factory)
    with session_factory() as s, pytest.raises(TreeError):
        add_charging_point(s, location_id=location_id, ocpp_id="cp-case", password="x")
    async with running_ingest(session_factory, allow_unknown_chargers=True) as server:
        assert await _upgrade_status(server.url, "cp-case", "cp-case", "wrong") == 401
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
        assert await _upgrade_status(server.url, "CP-REAL", "CP-REAL", "impostor-pw") == 401
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
