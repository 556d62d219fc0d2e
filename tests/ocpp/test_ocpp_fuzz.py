"""Fuzzed frames over a real socket against a real ingest (issue 7): every frame
gets a CallError or a valid answer (responses get none), never InternalError,
the socket stays open after each, and what a charger sends cannot grow the
node's memory (unsolicited megabyte responses are dropped, not queued)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import tracemalloc
import uuid

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ocpp_ingest.errors import excerpt
from tests.ocpp.support import pre_approve, raw_client, running_ingest

ACTIONS_16 = [
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "StopTransaction",
    "MeterValues",
    "DataTransfer",
    "Reset",
    "MakeCoffee",
    "",
]
CALL_ERRORS = {
    "NotImplemented",
    "NotSupported",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "FormatViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "OccurrenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
    "RpcFrameworkError",
    "MessageTypeNotSupported",
}  # InternalError is missing on purpose: nothing a charger sends is our failure
BUDGETS = dict(max_messages_per_s=100_000, message_burst=100_000)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "\ud800",
            "a\udc00b",
            "a\x00b",
            "1e999999999",
            "9999-12-31T23:59:59-05:00",
            "2024-05-01T08:00:00Z",
            "NoError",
            "Available",
            "Wh",
            "kWh",
        ]
    )
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=16,
)
templates = st.one_of(
    st.fixed_dictionaries({"connectorId": scalars, "errorCode": scalars, "status": scalars}),
    st.fixed_dictionaries(
        {"connectorId": scalars, "idTag": scalars, "meterStart": scalars, "timestamp": scalars}
    ),
    st.fixed_dictionaries(
        {
            "connectorId": scalars,
            "meterValue": st.lists(
                st.fixed_dictionaries(
                    {
                        "timestamp": scalars,
                        "sampledValue": st.lists(
                            st.fixed_dictionaries({"value": scalars}), max_size=3
                        ),
                    }
                ),
                max_size=3,
            ),
        }
    ),
    st.fixed_dictionaries({"vendorId": scalars, "data": values}),
    st.fixed_dictionaries({"chargePointVendor": scalars, "chargePointModel": scalars}),
)
messages = st.tuples(
    st.sampled_from([2, 3, 4, 2.0, 3.0, 7, "2", None, True, 0]) | st.integers(),
    st.text(max_size=40) | st.integers() | st.none(),
    st.sampled_from(ACTIONS_16) | st.text(max_size=20),
    templates | values,
).map(lambda m: json.dumps(list(m)))
frames = st.one_of(
    messages,
    messages,
    values.map(json.dumps),
    st.text(max_size=120),
    st.binary(max_size=80),
)


def answers_expected(frame) -> set[int]:
    """Responses (MessageTypeId 3 or 4) are never answered; everything else once."""
    if isinstance(frame, bytes):
        return {0, 1}
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        return {1}
    if isinstance(data, list) and data and not isinstance(data[0], bool) and data[0] in (3, 4):
        return {0}
    return {1}


async def _fuzz(session_factory, ocpp_id: str, batch: list) -> None:
    async with running_ingest(session_factory, **BUDGETS) as server:
        async with raw_client(server, ocpp_id) as client:
            for n, frame in enumerate(batch):
                await client.ws.send(frame)
                probe = f"probe-{n}"
                await client.send([2, probe, "Heartbeat", {}])
                answers = []
                while True:
                    message = await client.recv()
                    if message[:2] == [3, probe]:
                        break
                    answers.append(message)
                assert len(answers) in answers_expected(frame), (frame, answers)
                for answer in answers:
                    assert answer[0] in (3, 4), (frame, answer)
                    if answer[0] == 4:
                        assert answer[2] in CALL_ERRORS, (frame, answer)
                        assert len(json.dumps(answer)) < 2000


@settings(
    max_examples=int(os.environ.get("OCPP_FUZZ_EXAMPLES", "2")),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # bounded: no shrinking rounds
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=st.lists(frames, min_size=100, max_size=100))
def test_fuzzed_frames_get_an_answer_or_a_call_error_and_the_socket_stays(session_factory, batch):
    ocpp_id = f"CP-FUZZ-{uuid.uuid4().hex[:8]}"  # hypothesis may run the test again
    pre_approve(session_factory, ocpp_id)
    asyncio.run(_fuzz(session_factory, ocpp_id, batch))
    # every probe was answered, so the socket stayed open after every frame


async def test_unsolicited_megabyte_responses_leave_the_ingest_memory_bounded(session_factory):
    pre_approve(session_factory, "CP-MEM")
    big = [3, "unasked", {"blob": "x" * 900_000}]
    async with running_ingest(
        session_factory, max_bytes_per_s=10**9, byte_burst=10**9, **BUDGETS
    ) as server:
        async with raw_client(server, "CP-MEM") as client:
            await client.exchange([2, "warm", "Heartbeat", {}])
            gc.collect()
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                for n in range(100):  # 90 MB of responses nobody asked for
                    big[1] = f"unasked-{n}"
                    await client.send(big)
                assert (await client.exchange([2, "after", "Heartbeat", {}]))[:2] == [3, "after"]
                gc.collect()
                grown = tracemalloc.get_traced_memory()[0] - before
            finally:
                tracemalloc.stop()
            cp = server.live["CP-MEM"]
            assert cp._response_queue.qsize() == 0
            assert server.ctx.counters["responses_dropped"] == 100
    assert grown < 10 * 2**20, f"ingest memory grew by {grown / 2**20:.1f} MiB"


def test_an_excerpt_of_a_lone_surrogate_has_a_utf8_form():
    assert excerpt("id \udc00 x").encode("utf-8") == b"id \\udc00 x"
    assert excerpt("\ud800" * 300, 10).encode("utf-8").startswith(b"\\ud800")
