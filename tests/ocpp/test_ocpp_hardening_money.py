"""Issue 7, "accepted means billed", at the ingest: real websockets against the real
ingest on SQLite and PostgreSQL, with a recording gateway standing in for the
session workflow (tests/ocpp/test_ocpp_hardening_ledger.py runs the real workflow)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201
from sqlalchemy import select

from db import ocpp_transactions
from db.models import ChargingPointStatus, Connector, OcppAnomaly, OcppTransactionState
from ocpp_ingest.remote_actions import RemoteActions
from tests.ocpp.support import (
    RecordingGateway,
    booted_charger,
    charger,
    eventually,
    pre_approve,
    raw_client,
    rows,
    running_ingest,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def at(minutes: float) -> str:
    """A timestamp `minutes` from now, as a charger would send it."""
    return (NOW + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def event(event_type, tid, seq, ts, *, token=None, meter_wh=None, evse=1, **info):
    meter = None
    if meter_wh is not None:
        meter = [{"timestamp": ts, "sampled_value": [{
            "value": meter_wh, "measurand": "Energy.Active.Import.Register",
            "unit_of_measure": {"unit": "Wh", "multiplier": 0}}]}]
    return c201.TransactionEvent(
        event_type=event_type, timestamp=ts, trigger_reason="Authorized", seq_no=seq,
        transaction_info={"transaction_id": tid, **info},
        evse={"id": evse, "connector_id": 1} if evse else None,
        id_token={"id_token": token, "type": "ISO14443"} if token else None,
        meter_value=meter,
    )


def anomalies(session_factory, kind: str | None = None) -> list[OcppAnomaly]:
    found = rows(session_factory, select(OcppAnomaly).order_by(OcppAnomaly.id))
    return [a for a in found if kind is None or a.kind == kind]


async def test_a_start_retried_with_a_respelled_timestamp_is_the_same_transaction(
    session_factory,
):
    pre_approve(session_factory, "CP-RESPELL")
    gateway = RecordingGateway()
    spellings = ["2026-11-30T08:00:00Z", "2026-11-30T08:00:00+00:00",
                 "2026-11-30T10:00:00.000+02:00"]
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-RESPELL", "1.6") as sim:
            answers = [
                await sim.call(c16.StartTransaction(
                    connector_id=1, id_tag="ACCEPTED-1", meter_start=500, timestamp=ts))
                for ts in spellings
            ]
    assert len({a.transaction_id for a in answers}) == 1
    assert len(gateway.starts) == 1
    assert len(rows(session_factory, select(OcppTransactionState))) == 1


async def test_a_refused_start_is_not_a_running_transaction(session_factory):
    cp_id = pre_approve(session_factory, "CP-REFUSED")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-REFUSED", "1.6") as sim:
            accepted = await sim.call(c16.StartTransaction(
                connector_id=1, id_tag="ACCEPTED-1", meter_start=0, timestamp=at(-30)))
            await sim.call(c16.StopTransaction(
                meter_stop=100, timestamp=at(-20), transaction_id=accepted.transaction_id))
            refused = await sim.call(c16.StartTransaction(
                connector_id=1, id_tag="BLOCKED-1", meter_start=100, timestamp=at(-10)))
            assert refused.id_tag_info == {"status": "Blocked"}
            # The charger sends no stop after Blocked. A remote stop on connector 1
            # must find no running transaction (it used to pick the refused one).
    with session_factory() as s:
        assert ocpp_transactions.active_transaction(s, cp_id=cp_id, connector=1) is None


@pytest.mark.temporal
async def test_a_remote_stop_after_a_refused_start_finds_no_running_transaction(
    session_factory, temporal_client, task_queue
):
    cp_id = pre_approve(session_factory, "CP-REFSTOP")
    actions = RemoteActions(temporal_client, session_factory, timeout_s=20)
    async with running_ingest(
        session_factory, node_id=task_queue, temporal_client=temporal_client
    ) as server:
        async with charger(server, "CP-REFSTOP", "1.6") as sim:
            refused = await sim.call(c16.StartTransaction(
                connector_id=1, id_tag="BLOCKED-1", meter_start=0, timestamp=at(-10)))
            assert refused.id_tag_info == {"status": "Blocked"}
            # The answer is recorded after the charger has it (not awaited).
            await eventually(lambda: rows(session_factory, select(
                OcppTransactionState.auth_status).where(
                OcppTransactionState.auth_status == "Blocked")))
            stop = await actions.remote_stop(cp_id, 1, requested_by="support@example")
    assert (stop.status, stop.answer) == (
        "failed", {"reason": "no running transaction on connector 1"})
    assert [name for name, _ in sim.remote_calls] == []  # the refused id was never sent


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_stop_of_a_refused_start_is_no_anomaly(session_factory, version):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-NOISE", version, gateway) as sim:
        if version == "1.6":
            tid = (await sim.call(c16.StartTransaction(
                connector_id=1, id_tag="BLOCKED-1", meter_start=0, timestamp=at(-5)
            ))).transaction_id
            await sim.call(c16.StopTransaction(
                meter_stop=0, timestamp=at(-4), transaction_id=tid, reason="DeAuthorized"))
        else:
            await sim.call(event("Started", "tx-b", 0, at(-5), token="BLOCKED-1"))
            await sim.call(event("Ended", "tx-b", 1, at(-4), stopped_reason="DeAuthorized"))
    assert gateway.stops == []
    assert anomalies(session_factory) == []
    (state,) = rows(session_factory, select(OcppTransactionState))
    assert state.stopped


async def test_meter_values_for_a_stopped_transaction_are_flagged(session_factory):
    async with booted_charger(session_factory, "CP-LATEMV", "1.6") as sim:
        tid = (await sim.call(c16.StartTransaction(
            connector_id=1, id_tag="ACCEPTED-1", meter_start=0, timestamp=at(-30)
        ))).transaction_id
        await sim.call(c16.MeterValues(connector_id=1, transaction_id=tid, meter_value=[
            {"timestamp": at(-25), "sampled_value": [{"value": "400"}]}]))
        assert anomalies(session_factory, "meter_values_after_stop") == []
        await sim.call(c16.StopTransaction(meter_stop=900, timestamp=at(-20),
                                           transaction_id=tid))
        await sim.call(c16.MeterValues(connector_id=1, transaction_id=tid, meter_value=[
            {"timestamp": at(-10), "sampled_value": [{"value": "950"}]}]))
    (flag,) = anomalies(session_factory, "meter_values_after_stop")
    assert flag.transaction_id == str(tid) and flag.detail["readings"] == 1


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_status_dated_2099_does_not_freeze_the_connector(session_factory, version):
    cp_id = pre_approve(session_factory, "CP-2099")

    def status(state: str, ts: str):
        if version == "1.6":
            return c16.StatusNotification(connector_id=1, error_code="NoError", status=state,
                                          timestamp=ts)
        return c201.StatusNotification(timestamp=ts, connector_status=state, evse_id=1,
                                       connector_id=1)

    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-2099", version) as sim:
            await sim.call(status("Unavailable", "2099-01-01T00:00:00Z"))
            await asyncio.sleep(0.01)
            await sim.call(status("Available", datetime.now(UTC).isoformat()))
    (connector,) = rows(session_factory, select(Connector).where(
        Connector.charging_point_id == cp_id, Connector.number == 1))
    assert connector.status == "Available"
    assert connector.status_at.year == NOW.year
    (flag,) = anomalies(session_factory, "timestamp_replaced")
    assert flag.detail["what"] == "status" and flag.detail["reported"].startswith("2099")


@pytest.mark.parametrize(("version", "frame"), [
    ("1.6", ["StatusNotification",
             {"connectorId": -1, "errorCode": "NoError", "status": "Faulted"}]),
    ("2.0.1", ["StatusNotification",
               {"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Faulted",
                "evseId": -1, "connectorId": 1}]),
])
async def test_a_negative_connector_id_is_a_call_error_not_the_charging_points_status(
    session_factory, version, frame
):
    pre_approve(session_factory, "CP-NEG")
    subprotocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with running_ingest(session_factory) as server:
        async with raw_client(server, "CP-NEG", subprotocol) as ws:
            answer = await ws.exchange([2, "neg-1", *frame])
            assert answer[0] == 4 and answer[1] == "neg-1"
            assert answer[2] in {"PropertyConstraintViolation", "OccurenceConstraintViolation",
                                 "OccurrenceConstraintViolation"}
            heartbeat = await ws.exchange([2, "hb-1", "Heartbeat", {}])  # the socket stays
            assert heartbeat[:2] == [3, "hb-1"]
    assert rows(session_factory, select(ChargingPointStatus)) == []
    assert rows(session_factory, select(Connector).where(Connector.number < 0)) == []


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                                       "2099-06-01T00:00:00Z"])
async def test_an_impossible_start_time_is_replaced_by_the_receive_time_and_flagged(
    session_factory, timestamp
):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-CLOCK", "1.6", gateway) as sim:
        before = datetime.now(UTC)
        first = await sim.call(c16.StartTransaction(
            connector_id=1, id_tag="ACCEPTED-1", meter_start=0, timestamp=timestamp))
        retried = await sim.call(c16.StartTransaction(  # the same start, again
            connector_id=1, id_tag="ACCEPTED-1", meter_start=0, timestamp=timestamp))
        after = datetime.now(UTC)
    assert first.transaction_id == retried.transaction_id
    (start,) = gateway.starts
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(start.started_at) <= after
    assert start.flags == ("start_time_replaced",)
    flags = anomalies(session_factory, "timestamp_replaced")
    assert flags and flags[0].detail["what"] == "start"


async def test_every_frame_that_arrived_is_processed_when_the_answer_cannot_be_sent(
    session_factory,
):
    # A charger on a hard reset: two StopTransactions, then its socket closes.
    pre_approve(session_factory, "CP-RESET")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with raw_client(server, "CP-RESET") as ws:
            tids = []
            for connector in (1, 2):
                answer = await ws.exchange([2, f"s{connector}", "StartTransaction", {
                    "connectorId": connector, "idTag": "ACCEPTED-1", "meterStart": 0,
                    "timestamp": at(-30)}])
                tids.append(answer[2]["transactionId"])
            for i, tid in enumerate(tids):
                await ws.send([2, f"stop{i}", "StopTransaction", {
                    "meterStop": 1000 + i, "timestamp": at(-1), "transactionId": tid}])
            await ws.ws.close()
        await eventually(lambda: len(gateway.stops) == 2)
    assert sorted(s.meter_stop_wh for s in gateway.stops) == [1000, 1001]
    states = rows(session_factory, select(OcppTransactionState))
    assert [s.stopped for s in states] == [True, True]


async def test_a_reused_transaction_id_is_a_new_flagged_session_not_a_retry(session_factory):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-REUSE", "2.0.1", gateway) as sim:
        await sim.call(event("Started", "1", 0, at(-60), token="ACCEPTED-1", meter_wh=0))
        await sim.call(event("Ended", "1", 1, at(-50), meter_wh=1000))
        # The charger's counter was reset: transaction "1" again, later.
        answer = await sim.call(event("Started", "1", 0, at(-20), token="ACCEPTED-1",
                                      meter_wh=1000))
        assert answer.id_token_info == {"status": "Accepted"}
        await sim.call(event("Ended", "1", 1, at(-10), meter_wh=4000))
        # A late retry of the first Started is still the first transaction's.
        await sim.call(event("Started", "1", 0, at(-60), token="ACCEPTED-1", meter_wh=0))
    first, second = gateway.starts
    assert first.workflow_id != second.workflow_id
    assert (first.flags, second.flags) == ((), ("transaction_id_reused",))
    assert [(s.workflow_id, s.meter_stop_wh) for s in gateway.stops] == [
        (first.workflow_id, 1000), (second.workflow_id, 4000)]
    states = rows(session_factory, select(OcppTransactionState).order_by(
        OcppTransactionState.ocpp_transaction_id))
    assert [(s.transaction_id, s.workflow_id, s.stopped) for s in states] == [
        ("1", first.workflow_id, True), ("1", second.workflow_id, True)]


async def test_ended_before_started_starts_and_stops_a_flagged_session(session_factory):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-ENDFIRST", "2.0.1", gateway) as sim:
        ended = await sim.call(c201.TransactionEvent(
            event_type="Ended", timestamp=at(-10), trigger_reason="EVDeparted", seq_no=3,
            transaction_info={"transaction_id": "late-1", "stopped_reason": "EVDisconnected"},
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": "ACCEPTED-1", "type": "ISO14443"},
            meter_value=[
                {"timestamp": at(-70), "sampled_value": [{
                    "value": 10_000, "context": "Transaction.Begin",
                    "unit_of_measure": {"unit": "Wh"}}]},
                {"timestamp": at(-10), "sampled_value": [{
                    "value": 14_000, "context": "Transaction.End",
                    "unit_of_measure": {"unit": "Wh"}}]},
            ]))
        assert ended.id_token_info == {"status": "Accepted"}
        # The Started arrives after all (out of order): same session, same answer.
        late = await sim.call(event("Started", "late-1", 0, at(-70), token="ACCEPTED-1"))
        assert late.id_token_info == {"status": "Accepted"}
    (start,) = gateway.starts
    assert (start.meter_start_wh, start.flags) == (10_000, ("ended_before_started",))
    assert datetime.fromisoformat(start.started_at) == datetime.fromisoformat(
        at(-70).replace("Z", "+00:00"))
    (stop,) = gateway.stops
    assert (stop.workflow_id, stop.meter_stop_wh) == (start.workflow_id, 14_000)
    assert anomalies(session_factory, "stop_unknown_transaction") == []



async def test_an_ended_first_with_an_impossible_begin_reading_starts_at_the_end(
    session_factory,
):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-ENDCLOCK", "2.0.1", gateway) as sim:
        await sim.call(c201.TransactionEvent(
            event_type="Ended", timestamp=at(-1), trigger_reason="EVDeparted", seq_no=2,
            transaction_info={"transaction_id": "clock-1"},
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": "ACCEPTED-1", "type": "ISO14443"},
            meter_value=[
                {"timestamp": "1970-01-01T00:00:00Z", "sampled_value": [{
                    "value": 0, "context": "Transaction.Begin",
                    "unit_of_measure": {"unit": "Wh"}}]},
                {"timestamp": at(-1), "sampled_value": [{
                    "value": 500, "context": "Transaction.End",
                    "unit_of_measure": {"unit": "Wh"}}]},
            ]))
    (start,) = gateway.starts
    assert start.started_at == gateway.stops[0].stopped_at  # not 1970
    assert start.flags == ("ended_before_started", "start_time_replaced")


async def test_a_start_dated_before_the_charger_first_connected_is_replaced(session_factory):
    pre_approve(session_factory, "CP-NEW")  # its first boot below makes it connected now
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-NEW", "1.6") as sim:
            await sim.call(c16.StartTransaction(
                connector_id=1, id_tag="ACCEPTED-1", meter_start=0,
                timestamp=at(-10 * 24 * 60)))  # ten days before it was ever connected
    (start,) = gateway.starts
    assert start.flags == ("start_time_replaced",)
    assert datetime.fromisoformat(start.started_at) > NOW - timedelta(minutes=1)
    (flag,) = anomalies(session_factory, "timestamp_replaced")
    assert flag.detail["why"] == "before the charger was first connected"
