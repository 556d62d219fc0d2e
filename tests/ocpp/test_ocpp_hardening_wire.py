"""Issue 7, charger side, over real sockets against a real ingest: what a charger
gets wrong is answered as its fault and never crashes the socket (items 10-13
framing), and unsolicited responses and floods cost nothing lasting (1).
(tests/ocpp/test_ocpp_admission.py: unknown and pending chargers, ids, onboarding.)"""

from __future__ import annotations

import json
import logging

import pytest
from websockets.exceptions import ConnectionClosed

from db.models import MeterValue, OcppDataTransfer, OcppTransaction
from tests.ocpp.support import pre_approve, raw_client, running_ingest
from tests.ocpp.wire import HEARTBEAT, count_rows, still_open

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


# Per version (each in its own spelling): the charger, its cases, the first
# letter of their message ids (an answer echoes the id, or "-1" when the frame's
# id could not be read), and the tables a refused frame must leave empty.
OUT_OF_RANGE = [
    ("ocpp1.6", "CP-RANGE", OUT_OF_RANGE_16, "v", (OcppDataTransfer, OcppTransaction)),
    ("ocpp2.0.1", "CP-RANGE2", OUT_OF_RANGE_201, "w", (MeterValue,)),
]


@pytest.mark.parametrize(
    ("version", "cp", "name", "frame", "code", "id_prefix", "untouched"),
    [
        (version, cp, *case, id_prefix, untouched)
        for version, cp, cases, id_prefix, untouched in OUT_OF_RANGE
        for case in cases
    ],
    ids=[f"{version}-{case[0]}" for version, _, cases, _, _ in OUT_OF_RANGE for case in cases],
)
async def test_values_out_of_range_blame_the_charger_and_the_socket_stays(
    session_factory, version, cp, name, frame, code, id_prefix, untouched
):
    pre_approve(session_factory, cp)
    async with running_ingest(session_factory) as server:
        async with raw_client(server, cp, version) as client:
            answer = await client.exchange(frame)
            assert answer[0] == 4 and answer[2] == code, (name, answer)
            assert answer[1] in ("-1",) or answer[1].startswith(id_prefix), answer
            await still_open(client)
    for model in untouched:
        assert count_rows(session_factory, model) == 0, model


async def test_binary_frames_get_a_call_error_saying_text_frames(session_factory):
    pre_approve(session_factory, "CP-BIN")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-BIN") as client:
            await client.ws.send(HEARTBEAT.encode())
            answer = await client.recv()
            assert answer[:3] == [4, "hb", "FormationViolation"]
            assert "text frames" in answer[4]["cause"]
            await still_open(client)


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
            await still_open(client)
    assert max(len(r.getMessage()) for r in caplog.records) < 2000
    assert count_rows(session_factory, OcppDataTransfer) == 0


# -- 1: unsolicited responses and budgets ----------------------------------------


async def test_unsolicited_responses_are_dropped_and_counted_never_queued(session_factory):
    pre_approve(session_factory, "CP-UNSOL")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-UNSOL") as client:
            for n in range(50):
                await client.send([3, f"nobody-asked-{n}", {"x": "y" * 1000}])
                await client.send([4, f"nobody-asked-e{n}", "GenericError", "", {}])
            await still_open(client)
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
