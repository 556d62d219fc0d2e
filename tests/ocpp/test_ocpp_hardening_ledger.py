"""Issue 7, "accepted means billed", with the real session workflow on the Temporal
dev server and the real ingest over websockets (SQLite and PostgreSQL): sessions
the charger's messages describe oddly are still settled, flagged for review, with
exactly one balanced ledger entry where money moved."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from db.base import make_engine, make_sessionmaker
from db.demo import load_demo_data
from db.ledger import entries_for_reference
from db.models import ChargingSession
from db.schema import reset_schema
from energycloud.settings import Settings
from ocpp_ingest.options import IngestOptions
from ocpp_ingest.server import IngestServer
from tests.ocpp.support import raw_client
from tests.workflows.helpers import session_worker
from workflows.session_types import SessionStart, SessionStop

pytestmark = pytest.mark.temporal

POINT, CARD = "ACME-DEPOT-01", "NL-TNM-C00122045-K"  # SCENARIOS S2: roaming, 0.39/kWh + 0.35


def at(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def sample(ts: str, wh: int, context: str) -> dict:
    return {"timestamp": ts, "sampledValue": [
        {"value": wh, "context": context, "unitOfMeasure": {"unit": "Wh"}}]}


def ended(tid: str, seq: int, ts: str, begin: tuple[str, int], end_wh: int) -> list:
    return [2, uuid.uuid4().hex, "TransactionEvent", {
        "eventType": "Ended", "timestamp": ts, "triggerReason": "EVDeparted", "seqNo": seq,
        "transactionInfo": {"transactionId": tid, "stoppedReason": "EVDisconnected"},
        "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": CARD, "type": "eMAID"},
        "meterValue": [sample(begin[0], begin[1], "Transaction.Begin"),
                       sample(ts, end_wh, "Transaction.End")]}]


def started(tid: str, ts: str, wh: int) -> list:
    return [2, uuid.uuid4().hex, "TransactionEvent", {
        "eventType": "Started", "timestamp": ts, "triggerReason": "Authorized", "seqNo": 0,
        "transactionInfo": {"transactionId": tid}, "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": CARD, "type": "eMAID"},
        "meterValue": [sample(ts, wh, "Transaction.Begin")]}]


async def finished(factory, count: int, timeout_s: float = 30) -> list[ChargingSession]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        with factory() as s:
            found = s.scalars(select(ChargingSession).where(
                ChargingSession.ocpp_id == POINT, ChargingSession.state == "finished"
            ).order_by(ChargingSession.id)).all()
        if len(found) >= count:
            return list(found)
        if loop.time() > deadline:
            raise AssertionError(f"{len(found)} of {count} sessions settled in {timeout_s} s")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def ingest_with_workflow(temporal_client, factory, task_queue):
    load_demo_data(factory, password="pw")
    options = IngestOptions(port=0, flush_ms=5)
    async with session_worker(temporal_client, factory, task_queue) as gateway:
        server = IngestServer(Settings(), factory, gateway, f"node-{task_queue}",
                              temporal_client=temporal_client, options=options)
        async with server:
            async with raw_client(server, POINT, "ocpp2.0.1", password="pw") as ws:
                boot = await ws.exchange([2, "boot", "BootNotification", {
                    "chargingStation": {"vendorName": "Test", "model": "T"},
                    "reason": "PowerUp"}])
                assert boot[2]["status"] == "Accepted"
                yield ws


def assert_one_balanced_entry(factory, session: ChargingSession, cents: int) -> None:
    with factory() as s:
        [entry] = entries_for_reference(s, session.workflow_id)
        postings = entry.entry.postings
        assert sum(p.amount_cents for p in postings) == 0
        assert max(p.amount_cents for p in postings) == cents


async def test_ended_before_started_is_billed_and_flagged(
    temporal_client, session_factory, task_queue
):
    tid = f"ofl-{uuid.uuid4().hex[:8]}"
    async with ingest_with_workflow(temporal_client, session_factory, task_queue) as ws:
        # An offline queue replayed out of order: the Ended event first, 4 kWh.
        answer = await ws.exchange(ended(tid, 2, at(-10), (at(-70), 100_000), 104_000))
        assert answer[2]["idTokenInfo"]["status"] == "Accepted"
        late = await ws.exchange(started(tid, at(-70), 100_000))  # then the Started
        assert late[2]["idTokenInfo"]["status"] == "Accepted", late
        (session,) = await finished(session_factory, 1)
    # 4 kWh x 0.39 + 0.35 = 1.91 billed to the eMSP.
    assert (session.energy_wh, session.emsp_billed_cents) == (4_000, 191)
    assert "ended_before_started" in session.flags and session.needs_review
    assert_one_balanced_entry(session_factory, session, 191)


async def test_a_reused_transaction_id_is_a_second_billed_session(
    temporal_client, session_factory, task_queue
):
    tid = f"r-{uuid.uuid4().hex[:6]}"
    async with ingest_with_workflow(temporal_client, session_factory, task_queue) as ws:
        await ws.exchange(started(tid, at(-60), 0))
        await ws.exchange(ended(tid, 1, at(-50), (at(-60), 0), 1_000))
        await finished(session_factory, 1)
        # The charger's counter was reset: the same id, a new transaction.
        again = await ws.exchange(started(tid, at(-20), 1_000))
        assert again[2]["idTokenInfo"]["status"] == "Accepted"
        await ws.exchange(ended(tid, 1, at(-10), (at(-20), 1_000), 5_000))
        first, second = await finished(session_factory, 2)
    assert (first.energy_wh, first.emsp_billed_cents, first.flags) == (1_000, 74, [])
    assert (second.energy_wh, second.emsp_billed_cents) == (4_000, 191)
    assert second.flags == ["transaction_id_reused"] and second.needs_review
    assert first.transaction_id == second.transaction_id == tid
    assert first.workflow_id != second.workflow_id
    assert_one_balanced_entry(session_factory, first, 74)
    assert_one_balanced_entry(session_factory, second, 191)


async def test_an_impossible_start_time_is_priced_from_the_receive_time(
    temporal_client, session_factory, task_queue
):
    # A 1970 start used to be priced as a 56-year session.
    async with ingest_with_workflow(temporal_client, session_factory, task_queue) as ws:
        tid = f"t-{uuid.uuid4().hex[:6]}"
        await ws.exchange(started(tid, "1970-01-01T00:00:00Z", 0))
        now = at(0)
        await ws.exchange(ended(tid, 1, now, (now, 0), 2_000))
        (session,) = await finished(session_factory, 1)
    assert session.stopped_at - session.started_at < timedelta(minutes=5)
    assert (session.energy_wh, session.emsp_billed_cents) == (2_000, 113)  # 0.78 + 0.35
    assert "start_time_replaced" in session.flags and session.needs_review


async def test_a_session_that_cannot_be_priced_settles_flagged_instead_of_retrying_forever(
    temporal_client, session_factory, task_queue
):
    # Year 0001 reaches the workflow only from outside the ingest's bounds (a
    # replayed message, another caller): pricing overflows on it, every time.
    load_demo_data(session_factory, password="pw")
    async with session_worker(temporal_client, session_factory, task_queue) as gateway:
        start = SessionStart(ocpp_id=POINT, transaction_id="y1", connector=1, id_tag=CARD,
                             meter_start_wh=0, started_at="0001-01-01T00:00:00+00:00")
        answer = await gateway.start(start)
        assert answer.accepted
        await gateway.stop(SessionStop(ocpp_id=POINT, transaction_id="y1",
                                       meter_stop_wh=3_000, stopped_at=at(0)))
        result = await asyncio.wait_for(gateway.result(POINT, "y1"), 20)
    assert "pricing_failed" in result.flags
    assert (result.energy_wh, result.consumer_price_cents, result.ledger_entry_id) == (
        3_000, 0, None)
    with session_factory() as s:
        row = s.scalar(select(ChargingSession).where(
            ChargingSession.workflow_id == answer.workflow_id))
        assert row.state == "finished" and row.needs_review
        assert "pricing_failed" in row.flags


async def test_a_temporal_that_outlived_its_database_never_answers_a_new_database(
    temporal_client, session_factory, task_queue, tmp_path
):
    # Same charger, same transaction id "1", two databases, one Temporal cluster:
    # a restore, a migration, or a second environment on the same cluster.
    other = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    reset_schema(other)
    restored = make_sessionmaker(other)
    results = []
    try:
        for factory, queue in ((session_factory, task_queue), (restored, f"{task_queue}-b")):
            load_demo_data(factory, password="pw")
            async with session_worker(temporal_client, factory, queue) as gateway:
                start = SessionStart(ocpp_id=POINT, transaction_id="1", connector=1,
                                     id_tag=CARD, meter_start_wh=0, started_at=at(-30))
                answer = await gateway.start(start)
                await gateway.stop(SessionStop(ocpp_id=POINT, transaction_id="1",
                                               meter_stop_wh=2_000, stopped_at=at(0)))
                results.append((answer, await gateway.result(POINT, "1")))
        (first, _), (second, settled) = results
        assert first.workflow_id != second.workflow_id
        assert settled.consumer_price_cents == 113 and settled.ledger_entry_id is not None
        with restored() as s:  # settled in the database that asked
            row = s.scalar(select(ChargingSession).where(
                ChargingSession.workflow_id == second.workflow_id))
            assert row.state == "finished" and row.emsp_billed_cents == 113
    finally:
        other.dispose()
