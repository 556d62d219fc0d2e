"""Charger-initiated messages on both protocol versions, through a real
websocket from the `ocpp` library's charge-point side, against a recording
gateway that stands in for the session workflow: status, authorization,
sessions, meter units, retried starts and stops.
(tests/ocpp/test_ocpp_late_messages.py: late, unknown and odd messages.)"""

from __future__ import annotations

import pytest
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201
from sqlalchemy import select

from db.models import (
    ChargingPointStatus,
    Connector,
    ConnectorStatusHistory,
    MeterValue,
    OcppAnomaly,
    OcppTransaction,
    OcppTransactionState,
)
from tests.ocpp.messages import AHEAD, VERSIONS, sample16, sample201, start16, tx_event
from tests.ocpp.support import (
    RecordingGateway,
    booted_charger,
    charger,
    eventually,
    pre_approve,
    rows,
    running_ingest,
    workflow_id_of,
)


@pytest.mark.parametrize("version", VERSIONS)
async def test_status_notifications_keep_connector_status_current_with_history(
    session_factory, version
):
    cp_id = pre_approve(session_factory, "CP-STATUS")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-STATUS", version) as sim:
            await sim.status(1, "Available")
            await sim.status(2, "Charging")
            await sim.status(3, "Faulted")  # a connector we did not know yet
            if version == "1.6":
                await sim.call(
                    c16.StatusNotification(
                        connector_id=0,
                        error_code="NoError",
                        status="Available",
                        timestamp=AHEAD.isoformat(),  # a clock a little ahead: kept
                    )
                )
                late = c16.StatusNotification(
                    connector_id=1,
                    error_code="NoError",
                    status="Unavailable",
                    timestamp="2020-01-01T00:00:00Z",
                )
            else:
                late = c201.StatusNotification(
                    timestamp="2020-01-01T00:00:00Z",
                    connector_status="Unavailable",
                    evse_id=1,
                    connector_id=1,
                )
            await sim.call(late)  # queued while offline: history only
    connectors = {
        c.number: c.status
        for c in rows(
            session_factory, select(Connector).where(Connector.charging_point_id == cp_id)
        )
    }
    occupied = "Charging" if version == "1.6" else "Occupied"
    assert connectors == {1: "Available", 2: occupied, 3: "Faulted"}
    history = rows(
        session_factory, select(ConnectorStatusHistory).order_by(ConnectorStatusHistory.id)
    )
    assert [h.status for h in history if h.connector == 1] == ["Available", "Unavailable"]
    assert history[-1].reported_at.year == 2020
    if version == "1.6":
        (own,) = rows(session_factory, select(ChargingPointStatus))
        assert own.status == "Available" and own.status_at == AHEAD


@pytest.mark.parametrize("version", VERSIONS)
async def test_authorize_passes_the_gateways_answer_through(session_factory, version):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-AUTHZ", version, gateway) as sim:
        assert await sim.authorize("ACCEPTED-1") == "Accepted"
        assert await sim.authorize("BLOCKED-1") == "Blocked"
        assert await sim.authorize("EXPIRED-1") == "Expired"
        assert await sim.authorize("NEVER-SEEN") == "Invalid"
    assert gateway.authorizations == [
        ("CP-AUTHZ", t) for t in ("ACCEPTED-1", "BLOCKED-1", "EXPIRED-1", "NEVER-SEEN")
    ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_session_reaches_the_gateway_and_its_meter_values_the_database(
    session_factory, version
):
    pre_approve(session_factory, "CP-SESSION")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway, meter_summary_interval_s=0) as server:
        async with charger(server, "CP-SESSION", version, energy_rate_w=3_600_000) as sim:
            sim.meters[1] = 1000.0
            session = await sim.start_session(1, "ACCEPTED-1")
            assert session.accepted
            await sim.send_meter_values(1)
            await sim.send_meter_values(1)
            await sim.stop_session(1)
            await eventually(lambda: gateway.summaries)
    (start,) = gateway.starts
    tid = str(session.transaction_id)
    assert (
        start.ocpp_id,
        start.transaction_id,
        start.connector,
        start.id_tag,
        start.meter_start_wh,
    ) == ("CP-SESSION", tid, 1, "ACCEPTED-1", 1000)
    assert start.started_at.startswith(session.started[:19])
    (stop,) = gateway.stops
    assert stop.transaction_id == tid and stop.meter_stop_wh > 1000
    assert stop.reason == "Local"
    values = rows(session_factory, select(MeterValue).order_by(MeterValue.id))
    assert {v.workflow_id for v in values} == {workflow_id_of(session_factory, "CP-SESSION", tid)}
    energies = [v.energy_wh for v in values]
    assert energies == sorted(energies) and energies[-1] == stop.meter_stop_wh
    assert any(v.power_w == 3_600_000 for v in values)
    assert not any(v.regressed for v in values)
    assert gateway.summaries[0].transaction_id == tid
    (state,) = rows(session_factory, select(OcppTransactionState))
    assert state.stopped and state.session_started and state.auth_status == "Accepted"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_blocked_card_gets_blocked_and_the_charger_stops(session_factory, version):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-BLOCK", version, gateway) as sim:
        session = await sim.start_session(1, "BLOCKED-1")
    assert session.status == "Blocked"
    assert [s.id_tag for s in gateway.starts] == ["BLOCKED-1"]
    # The refusing workflow has finished: the charger's stop is recorded, not
    # signalled to it (which used to log a "stop_unknown_to_workflow" anomaly).
    assert gateway.stops == []
    assert rows(session_factory, select(OcppAnomaly)) == []
    (state,) = rows(session_factory, select(OcppTransactionState))
    assert state.stopped and state.stop_reason == "DeAuthorized"


async def test_meter_units_kwh_kw_and_multipliers_become_wh_and_w(session_factory):
    pre_approve(session_factory, "CP-UNITS")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-UNITS", "1.6") as sim:
            await sim.call(
                c16.MeterValues(
                    connector_id=1,
                    meter_value=[
                        {
                            "timestamp": "2024-05-01T10:00:00Z",
                            "sampled_value": [
                                {"value": "12.3456", "unit": "kWh"},
                                {"value": "7.4", "unit": "kW", "measurand": "Power.Active.Import"},
                            ],
                        },
                        {
                            "timestamp": "2024-05-01T10:01:00Z",
                            "sampled_value": [
                                {"value": "230", "measurand": "Voltage", "unit": "V"},
                                {
                                    "value": "2400",
                                    "measurand": "Power.Active.Import",
                                    "phase": "L1",
                                },
                                {
                                    "value": "2500",
                                    "measurand": "Power.Active.Import",
                                    "phase": "L2",
                                },
                                {"value": "12400", "measurand": "Energy.Active.Import.Register"},
                            ],
                        },
                    ],
                )
            )
        async with charger(server, "CP-UNITS", "2.0.1") as sim:
            await sim.call(
                c201.MeterValues(
                    evse_id=2,
                    meter_value=[
                        sample201("2024-05-01T10:02:00Z", 12.5, "kWh"),
                        sample201("2024-05-01T10:03:00Z", 126, "Wh", multiplier=2),
                        sample201("2024-05-01T10:04:00Z", 11, "kW", "Power.Active.Import"),
                    ],
                )
            )
    values = [
        (v.connector, v.energy_wh, v.power_w)
        for v in rows(session_factory, select(MeterValue).order_by(MeterValue.measured_at))
    ]
    assert values == [
        (1, 12346, 7400),
        (1, 12400, 4900),
        (2, 12500, None),
        (2, 12600, None),
        (2, None, 11000),
    ]


async def test_duplicate_start_transaction_gets_the_same_transaction_id(session_factory):
    pre_approve(session_factory, "CP-DUP")
    gateway = RecordingGateway()
    start = start16("2024-05-01T08:00:00Z", 500)
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-DUP", "1.6") as sim:
            first = await sim.call(start)
            retried = await sim.call(start)  # the first answer was "lost"
            other = await sim.call(start16("2024-05-01T08:00:00Z", connector_id=2))
    assert first.transaction_id == retried.transaction_id != other.transaction_id
    assert first.id_tag_info == retried.id_tag_info == {"status": "Accepted"}
    txs = rows(session_factory, select(OcppTransaction).order_by(OcppTransaction.id))
    assert [(t.id, t.dedupe_key, t.workflow_id) for t in txs][0] == (
        first.transaction_id,
        "1:ACCEPTED-1:500:2024-05-01T08:00:00+00:00",  # the instant, in UTC
        workflow_id_of(session_factory, "CP-DUP", first.transaction_id),
    )
    assert len(txs) == 2


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_retried_stop_tells_the_gateway_once_and_stores_nothing_twice(
    session_factory, version
):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-RESTOP", version, gateway) as sim:
        if version == "1.6":
            tid = (await sim.call(start16("2024-05-01T08:00:00Z"))).transaction_id
            stop = c16.StopTransaction(
                meter_stop=700,
                timestamp="2024-05-01T09:00:00Z",
                transaction_id=tid,
                transaction_data=[sample16("2024-05-01T09:00:00Z", "700")],
            )
        else:
            await sim.call(
                tx_event("Started", "tx-r", 0, "2024-05-01T08:00:00Z", token="ACCEPTED-1")
            )
            stop = tx_event(
                "Ended",
                "tx-r",
                1,
                "2024-05-01T09:00:00Z",
                meter=[sample201("2024-05-01T09:00:00Z", 700)],
            )
        await sim.call(stop)
        await sim.call(stop)
    assert [s.meter_stop_wh for s in gateway.stops] == [700]
    assert len(rows(session_factory, select(MeterValue))) == 1


async def test_duplicate_transaction_event_started_gets_the_same_answer(session_factory):
    pre_approve(session_factory, "CP-DUP2")
    gateway = RecordingGateway()
    started = tx_event("Started", "tx-dup", 0, "2024-05-01T08:00:00Z", token="BLOCKED-1")
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-DUP2", "2.0.1") as sim:
            first = await sim.call(started)
            retried = await sim.call(started)
    assert first.id_token_info == retried.id_token_info == {"status": "Blocked"}
    (tx,) = rows(session_factory, select(OcppTransaction))
    assert (tx.transaction_id, tx.workflow_id) == (
        "tx-dup", workflow_id_of(session_factory, "CP-DUP2", "tx-dup"))
