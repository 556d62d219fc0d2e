"""Broken input gets the CALLERROR OCPP-J defines (see ocpp_ingest/errors.py) and
the connection stays open: after every bad frame the charger still gets its
Heartbeat answered. Raw frames over a plain websocket, exact answers."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from sqlalchemy import func, select

from db.models import MeterValue, OcppTransaction
from ocpp_ingest.simulator import SimulatedCharger
from tests.ocpp.support import PASSWORD, RecordingGateway, pre_approve, raw_client, running_ingest

INCOMPLETE = "Payload for Action is incomplete"
FORMAT = "Payload for Action is syntactically incorrect or structure for Action"
TYPE = (
    "Payload for Action is syntactically correct but at least one of the fields violates "
    "data type constraints (e.g. “somestring”: 12)"
)
PROPERTY = "Payload is syntactically correct but at least one field contains an invalid value"
RPC = "Content of the call is not a valid RPC Request"
UNKNOWN = "Requested Action is not known by receiver"
UNSUPPORTED = "Requested Action is recognized but not supported by the receiver"
NOT_A_LIST = (
    "OCPP message hasn't the correct format. It should be a list, but got '<class 'dict'>' instead"
)

V16 = [
    (
        "not json",
        "this is not json",
        [4, "-1", "FormationViolation", FORMAT, {"cause": "Message is not valid JSON"}],
    ),
    ("not a list", '{"a": 1}', [4, "-1", "ProtocolError", INCOMPLETE, {"cause": NOT_A_LIST}]),
    (
        "empty array",
        "[]",
        [4, "-1", "ProtocolError", INCOMPLETE, {"cause": "Message does not contain MessageTypeId"}],
    ),
    (
        "no payload",
        '[2, "m3", "Heartbeat"]',
        [4, "m3", "ProtocolError", INCOMPLETE, {"cause": "Message is missing elements."}],
    ),
    (
        "unknown message type",
        '[7, "m4", "Heartbeat", {}]',
        [
            4,
            "m4",
            "PropertyConstraintViolation",
            PROPERTY,
            {"cause": "MessageTypeId '7' isn't valid"},
        ],
    ),
    (
        "unknown action",
        '[2, "m5", "MakeCoffee", {}]',
        [4, "m5", "NotImplemented", UNKNOWN, {"cause": "MakeCoffee is not an OCPP 1.6 action"}],
    ),
    (
        "csms-only action",
        '[2, "m6", "Reset", {"type": "Hard"}]',
        [4, "m6", "NotSupported", UNSUPPORTED, {"cause": "Reset is not handled by this CSMS"}],
    ),
    (
        "missing field",
        '[2, "m7", "BootNotification", {"chargePointModel": "X"}]',
        [
            4,
            "m7",
            "ProtocolError",
            INCOMPLETE,
            {"cause": "'chargePointVendor' is a required property"},
        ],
    ),
    (
        "wrong type",
        '[2, "m8", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", '
        '"status": "Available"}]',
        [4, "m8", "TypeConstraintViolation", TYPE, {"cause": "'one' is not of type 'integer'"}],
    ),
    (
        "extra field",
        '[2, "m9", "Heartbeat", {"foo": 1}]',
        [
            4,
            "m9",
            "FormationViolation",
            FORMAT,
            {"cause": "Additional properties are not allowed ('foo' was unexpected)"},
        ],
    ),
    (
        "payload not an object",
        '[2, "m12", "Heartbeat", []]',
        [4, "m12", "TypeConstraintViolation", TYPE, {"cause": "[] is not of type 'object'"}],
    ),
    (
        "bad timestamp",
        '[2, "m11", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, '
        '"timestamp": "yesterday"}]',
        [
            4,
            "m11",
            "PropertyConstraintViolation",
            PROPERTY,
            {"cause": "'yesterday' is not an ISO 8601 date-time"},
        ],
    ),
]

V201 = [
    (
        "not json",
        "this is not json",
        [4, "-1", "RpcFrameworkError", RPC, {"cause": "Message is not valid JSON"}],
    ),
    ("not a list", '{"a": 1}', [4, "-1", "RpcFrameworkError", RPC, {"cause": NOT_A_LIST}]),
    (
        "no payload",
        '[2, "m3", "Heartbeat"]',
        [4, "m3", "RpcFrameworkError", RPC, {"cause": "Message is missing elements."}],
    ),
    (
        "unknown message type",
        '[7, "m4", "Heartbeat", {}]',
        [
            4,
            "m4",
            "MessageTypeNotSupported",
            "A message with a Message Type Number received that is not supported by this "
            "implementation",
            {"cause": "MessageTypeId '7' isn't valid"},
        ],
    ),
    (
        "unknown action",
        '[2, "m5", "StartTransaction", {}]',
        [
            4,
            "m5",
            "NotImplemented",
            UNKNOWN,
            {"cause": "StartTransaction is not an OCPP 2.0.1 action"},
        ],
    ),
    (
        "csms-only action",
        '[2, "m6", "Reset", {"type": "Immediate"}]',
        [4, "m6", "NotSupported", UNSUPPORTED, {"cause": "Reset is not handled by this CSMS"}],
    ),
    (
        "missing field",
        '[2, "m7", "BootNotification", {"reason": "PowerUp"}]',
        [
            4,
            "m7",
            "ProtocolError",
            INCOMPLETE,
            {"cause": "'chargingStation' is a required property"},
        ],
    ),
    (
        "wrong type",
        '[2, "m8", "StatusNotification", {"timestamp": "2024-01-01T00:00:00Z", '
        '"connectorStatus": "Available", "evseId": "one", "connectorId": 1}]',
        [4, "m8", "TypeConstraintViolation", TYPE, {"cause": "'one' is not of type 'integer'"}],
    ),
    (
        "extra field",
        '[2, "m9", "Heartbeat", {"foo": 1}]',
        [
            4,
            "m9",
            "FormatViolation",
            FORMAT,
            {"cause": "Additional properties are not allowed ('foo' was unexpected)"},
        ],
    ),
    (
        "bad timestamp",
        '[2, "m11", "StatusNotification", {"timestamp": "yesterday", '
        '"connectorStatus": "Available", "evseId": 1, "connectorId": 1}]',
        [
            4,
            "m11",
            "PropertyConstraintViolation",
            PROPERTY,
            {"cause": "'yesterday' is not an ISO 8601 date-time"},
        ],
    ),
]


async def _heartbeat_still_answered(client, n: int) -> None:
    answer = await client.exchange(f'[2, "hb-{n}", "Heartbeat", {{}}]')
    assert answer[:2] == [3, f"hb-{n}"] and "currentTime" in answer[2]


@pytest.mark.parametrize(
    ("version", "cases"), [("ocpp1.6", V16), ("ocpp2.0.1", V201)], ids=["1.6", "2.0.1"]
)
async def test_broken_frames_get_the_right_call_error_and_the_connection_stays_open(
    session_factory, version, cases
):
    pre_approve(session_factory, "CP-RAW")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-RAW", version) as client:
            for n, (name, frame, expected) in enumerate(cases):
                assert await client.exchange(frame) == expected, name
                await _heartbeat_still_answered(client, n)


@pytest.mark.parametrize("version", ["ocpp1.6", "ocpp2.0.1"])
async def test_stray_responses_are_not_answered(session_factory, version):
    pre_approve(session_factory, "CP-STRAY")
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-STRAY", version) as client:
            await client.send('[3, "nobody-asked", {}]')
            await client.send('[4, "nobody-asked", "GenericError", "", {}]')
            await client.send('[3, "broken"]')
            # The next frame we get is the heartbeat's answer, nothing before it.
            await _heartbeat_still_answered(client, 0)


class _BrokenGateway(RecordingGateway):
    async def authorize(self, ocpp_id, id_tag):
        raise RuntimeError("workflow service down")


@pytest.mark.parametrize("version", ["ocpp1.6", "ocpp2.0.1"])
async def test_our_own_failure_is_an_internal_error_and_the_charger_may_retry(
    session_factory, version
):
    pre_approve(session_factory, "CP-DOWN")
    authorize = (
        '[2, "a1", "Authorize", {"idTag": "ACCEPTED-1"}]'
        if version == "ocpp1.6"
        else '[2, "a1", "Authorize", {"idToken": {"idToken": "ACCEPTED-1", "type": "ISO14443"}}]'
    )
    async with running_ingest(session_factory, _BrokenGateway()) as server:
        async with raw_client(server, "CP-DOWN", version) as client:
            assert await client.exchange(authorize) == [
                4,
                "a1",
                "InternalError",
                "An unexpected error occurred.",
                {},
            ]
            await _heartbeat_still_answered(client, 0)


_NODE = """
import asyncio, sys
from db.base import make_engine, make_sessionmaker
from energycloud.settings import Settings
from ocpp_ingest.auth import PasswordVerifier
from ocpp_ingest.server import IngestServer
from tests.ocpp.support import FAST_HASHER, RecordingGateway, fast_options

async def main():
    factory = make_sessionmaker(make_engine(sys.argv[1]))
    server = IngestServer(Settings(), factory, RecordingGateway(), "doomed",
                          options=fast_options(flush_ms=40),
                          password_verifier=PasswordVerifier(FAST_HASHER))
    await server.start()
    print(server.port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_nothing_answered_is_lost_when_the_ingest_is_killed(session_factory, engine):
    """Every answer is sent after its data committed: SIGKILL right after the last
    answer, and every answered meter value and the transaction are there."""
    pre_approve(session_factory, "CP-KILL")
    url = engine.url.render_as_string(hide_password=False)
    node = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _NODE, url, stdout=asyncio.subprocess.PIPE
    )
    try:
        port = int((await asyncio.wait_for(node.stdout.readline(), 30)).decode())
        sim = SimulatedCharger(
            "CP-KILL", PASSWORD, "1.6", f"ws://127.0.0.1:{port}/ocpp", response_timeout=5
        )
        await sim.connect()
        await sim.boot()
        await sim.start_session(1, "ACCEPTED-1")
        for _ in range(25):
            await sim.send_meter_values(1)
        node.send_signal(signal.SIGKILL)
        await node.wait()
        await sim.close()
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()
    with session_factory() as s:
        assert s.execute(select(func.count()).select_from(MeterValue)).scalar() == 25
        assert s.execute(select(func.count()).select_from(OcppTransaction)).scalar() == 1
