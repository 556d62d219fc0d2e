"""Every charger-initiated message on both protocol versions, through a real
websocket from the `ocpp` library's charge-point side, against a recording
gateway that stands in for the session workflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    OcppDataTransfer,
    OcppTransaction,
    OcppTransactionState,
)
from tests.ocpp.support import (
    RecordingGateway,
    charger,
    eventually,
    pre_approve,
    rows,
    running_ingest,
    workflow_id_of,
)

VERSIONS = ["1.6", "2.0.1"]
AHEAD = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
# Chargers whose 2024 messages these tests send have been in service since then.
IN_SERVICE = datetime(2024, 1, 1, tzinfo=UTC)


def _sample16(ts: str, value: str, unit: str = "Wh", measurand=None, context=None) -> dict:
    sv = {"value": value, "unit": unit}
    if measurand:
        sv["measurand"] = measurand
    if context:
        sv["context"] = context
    return {"timestamp": ts, "sampled_value": [sv]}


def _sample201(
    ts: str, value, unit: str = "Wh", measurand="Energy.Active.Import.Register", multiplier: int = 0
) -> dict:
    return {
        "timestamp": ts,
        "sampled_value": [
            {
                "value": value,
                "measurand": measurand,
                "unit_of_measure": {"unit": unit, "multiplier": multiplier},
            }
        ],
    }


def _event(event_type, tid, seq, ts, *, token=None, meter=None, evse=1, **info):
    return c201.TransactionEvent(
        event_type=event_type,
        timestamp=ts,
        trigger_reason="Authorized",
        seq_no=seq,
        transaction_info={"transaction_id": tid, **info},
        evse={"id": evse, "connector_id": 1} if evse else None,
        id_token={"id_token": token, "type": "ISO14443"} if token else None,
        meter_value=meter,
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
    pre_approve(session_factory, "CP-AUTHZ")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-AUTHZ", version) as sim:
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
    pre_approve(session_factory, "CP-BLOCK")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-BLOCK", version) as sim:
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
                        _sample201("2024-05-01T10:02:00Z", 12.5, "kWh"),
                        _sample201("2024-05-01T10:03:00Z", 126, "Wh", multiplier=2),
                        _sample201("2024-05-01T10:04:00Z", 11, "kW", "Power.Active.Import"),
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
    start = c16.StartTransaction(
        connector_id=1, id_tag="ACCEPTED-1", meter_start=500, timestamp="2024-05-01T08:00:00Z"
    )
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-DUP", "1.6") as sim:
            first = await sim.call(start)
            retried = await sim.call(start)  # the first answer was "lost"
            other = await sim.call(
                c16.StartTransaction(
                    connector_id=2,
                    id_tag="ACCEPTED-1",
                    meter_start=0,
                    timestamp="2024-05-01T08:00:00Z",
                )
            )
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
    pre_approve(session_factory, "CP-RESTOP")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-RESTOP", version) as sim:
            if version == "1.6":
                tid = (
                    await sim.call(
                        c16.StartTransaction(
                            connector_id=1,
                            id_tag="ACCEPTED-1",
                            meter_start=0,
                            timestamp="2024-05-01T08:00:00Z",
                        )
                    )
                ).transaction_id
                stop = c16.StopTransaction(
                    meter_stop=700,
                    timestamp="2024-05-01T09:00:00Z",
                    transaction_id=tid,
                    transaction_data=[_sample16("2024-05-01T09:00:00Z", "700")],
                )
            else:
                await sim.call(
                    _event("Started", "tx-r", 0, "2024-05-01T08:00:00Z", token="ACCEPTED-1")
                )
                stop = _event(
                    "Ended",
                    "tx-r",
                    1,
                    "2024-05-01T09:00:00Z",
                    meter=[_sample201("2024-05-01T09:00:00Z", 700)],
                )
            await sim.call(stop)
            await sim.call(stop)
    assert [s.meter_stop_wh for s in gateway.stops] == [700]
    assert len(rows(session_factory, select(MeterValue))) == 1


async def test_duplicate_transaction_event_started_gets_the_same_answer(session_factory):
    pre_approve(session_factory, "CP-DUP2")
    gateway = RecordingGateway()
    started = _event("Started", "tx-dup", 0, "2024-05-01T08:00:00Z", token="BLOCKED-1")
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-DUP2", "2.0.1") as sim:
            first = await sim.call(started)
            retried = await sim.call(started)
    assert first.id_token_info == retried.id_token_info == {"status": "Blocked"}
    (tx,) = rows(session_factory, select(OcppTransaction))
    assert (tx.transaction_id, tx.workflow_id) == (
        "tx-dup", workflow_id_of(session_factory, "CP-DUP2", "tx-dup"))


async def test_late_transaction_keeps_its_original_timestamps_v16(session_factory):
    pre_approve(session_factory, "CP-LATE", in_service_since=IN_SERVICE)
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-LATE", "1.6") as sim:
            answer = await sim.call(
                c16.StartTransaction(
                    connector_id=1,
                    id_tag="ACCEPTED-1",
                    meter_start=100,
                    timestamp="2024-02-29T23:00:00+01:00",
                )
            )
            tid = answer.transaction_id
            await sim.call(
                c16.MeterValues(
                    connector_id=1,
                    transaction_id=tid,
                    meter_value=[_sample16("2024-02-29T22:30:00Z", "600")],
                )
            )
            await sim.call(
                c16.StopTransaction(
                    meter_stop=900,
                    timestamp="2024-02-29T23:15:00Z",
                    transaction_id=tid,
                    reason="EVDisconnected",
                    transaction_data=[
                        _sample16("2024-02-29T23:15:00Z", "900", context="Transaction.End")
                    ],
                )
            )
    assert gateway.starts[0].started_at == "2024-02-29T22:00:00+00:00"
    stop = gateway.stops[0]
    assert (stop.stopped_at, stop.meter_stop_wh, stop.reason) == (
        "2024-02-29T23:15:00+00:00",
        900,
        "EVDisconnected",
    )
    measured = [
        v.measured_at.isoformat()
        for v in rows(session_factory, select(MeterValue).order_by(MeterValue.measured_at))
    ]
    assert measured == ["2024-02-29T22:30:00+00:00", "2024-02-29T23:15:00+00:00"]


async def test_transaction_event_stream_v201_with_late_authorization(session_factory):
    pre_approve(session_factory, "CP-EVENTS", in_service_since=IN_SERVICE)
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-EVENTS", "2.0.1") as sim:
            # Cable plugged in first: no token yet, so no session and no idTokenInfo.
            plugged = await sim.call(
                _event(
                    "Started",
                    "tx-1",
                    0,
                    "2024-06-01T12:00:00Z",
                    evse=2,
                    meter=[_sample201("2024-06-01T12:00:00Z", 2000)],
                )
            )
            assert plugged.id_token_info is None and not gateway.starts
            authorized = await sim.call(
                _event("Updated", "tx-1", 1, "2024-06-01T12:00:05Z", token="ROAMING-1", evse=None)
            )
            assert authorized.id_token_info == {"status": "Accepted"}
            await sim.call(
                _event(
                    "Updated",
                    "tx-1",
                    2,
                    "2024-06-01T12:30:00Z",
                    evse=None,
                    meter=[_sample201("2024-06-01T12:30:00Z", 7.5, "kWh")],
                )
            )
            ended = await sim.call(
                _event(
                    "Ended",
                    "tx-1",
                    3,
                    "2024-06-01T13:00:00Z",
                    evse=None,
                    token="ROAMING-1",
                    stopped_reason="EVDisconnected",
                    meter=[_sample201("2024-06-01T13:00:00Z", 9000)],
                )
            )
            assert ended.id_token_info == {"status": "Accepted"}
    (start,) = gateway.starts
    assert (
        start.transaction_id,
        start.connector,
        start.id_tag,
        start.meter_start_wh,
        start.started_at,
    ) == ("tx-1", 2, "ROAMING-1", 2000, "2024-06-01T12:00:00+00:00")
    (stop,) = gateway.stops
    assert (stop.meter_stop_wh, stop.reason, stop.stopped_at) == (
        9000,
        "EVDisconnected",
        "2024-06-01T13:00:00+00:00",
    )


@pytest.mark.parametrize("version", VERSIONS)
async def test_stop_for_an_unknown_transaction_is_accepted_and_flagged(session_factory, version):
    pre_approve(session_factory, "CP-GHOST", in_service_since=IN_SERVICE)
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-GHOST", version) as sim:
            if version == "1.6":
                answer = await sim.call(
                    c16.StopTransaction(
                        meter_stop=1234,
                        timestamp="2024-05-01T09:00:00Z",
                        transaction_id=987654,
                        id_tag="ACCEPTED-1",
                    )
                )
                assert answer.id_tag_info == {"status": "Accepted"}
                tid = "987654"
            else:
                answer = await sim.call(
                    _event("Ended", "ghost-tx", 7, "2024-05-01T09:00:00Z", stopped_reason="Local")
                )
                assert answer.id_token_info is None
                tid = "ghost-tx"
            assert await sim.heartbeat()
    assert not gateway.stops
    (anomaly,) = rows(session_factory, select(OcppAnomaly))
    assert (anomaly.kind, anomaly.transaction_id) == ("stop_unknown_transaction", tid)


async def test_stop_the_workflow_no_longer_knows_is_accepted_and_flagged(session_factory):
    pre_approve(session_factory, "CP-GONEWF")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-GONEWF", "1.6") as sim:
            await sim.start_session(1, "ACCEPTED-1")
            gateway.unknown_stops = True
            await sim.stop_session(1)
    kinds = [a.kind for a in rows(session_factory, select(OcppAnomaly))]
    assert kinds == ["stop_unknown_to_workflow"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_meter_register_going_backwards_is_flagged_not_priced(session_factory, version):
    pre_approve(session_factory, "CP-BACK", in_service_since=IN_SERVICE)
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway, meter_summary_interval_s=0) as server:
        async with charger(server, "CP-BACK", version) as sim:
            if version == "1.6":
                tid = (
                    await sim.call(
                        c16.StartTransaction(
                            connector_id=1,
                            id_tag="ACCEPTED-1",
                            meter_start=5000,
                            timestamp="2024-05-01T10:00:00Z",
                        )
                    )
                ).transaction_id
                for ts, wh in (("10:10", "6000"), ("10:20", "4000"), ("10:30", "6500")):
                    await sim.call(
                        c16.MeterValues(
                            connector_id=1,
                            transaction_id=tid,
                            meter_value=[_sample16(f"2024-05-01T{ts}:00Z", wh)],
                        )
                    )
            else:
                await sim.call(
                    _event(
                        "Started",
                        "tx-b",
                        0,
                        "2024-05-01T10:00:00Z",
                        token="ACCEPTED-1",
                        meter=[_sample201("2024-05-01T10:00:00Z", 5000)],
                    )
                )
                for seq, (ts, wh) in enumerate(
                    (("10:10", 6000), ("10:20", 4000), ("10:30", 6500)), start=1
                ):
                    await sim.call(
                        _event(
                            "Updated",
                            "tx-b",
                            seq,
                            f"2024-05-01T{ts}:00Z",
                            meter=[_sample201(f"2024-05-01T{ts}:00Z", wh)],
                        )
                    )
            await eventually(lambda: len(gateway.summaries) >= 2)
    flagged = [
        (v.energy_wh, v.regressed)
        for v in rows(session_factory, select(MeterValue).order_by(MeterValue.measured_at))
    ]
    assert (4000, True) in flagged and (6500, False) in flagged
    assert all(not regressed for wh, regressed in flagged if wh != 4000)
    assert 4000 not in [s.energy_wh for s in gateway.summaries]
    assert [a.kind for a in rows(session_factory, select(OcppAnomaly))] == ["meter_regressed"]


async def test_meter_summaries_are_throttled_per_transaction(session_factory):
    pre_approve(session_factory, "CP-SUMMARY")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway, meter_summary_interval_s=3600) as server:
        async with charger(server, "CP-SUMMARY", "1.6") as sim:
            await sim.start_session(1, "ACCEPTED-1")
            for _ in range(5):
                await sim.send_meter_values(1)
    assert gateway.summaries == []


@pytest.mark.parametrize("version", VERSIONS)
async def test_data_transfer_is_recorded_and_answered_unknown_vendor(session_factory, version):
    cp_id = pre_approve(session_factory, "CP-DT")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-DT", version) as sim:
            answer = await sim.data_transfer("com.acme", '{"temp": 41}')
    assert answer.status == "UnknownVendorId"
    (dt,) = rows(session_factory, select(OcppDataTransfer))
    assert (dt.charging_point_id, dt.vendor_id, dt.data, dt.answer_status) == (
        cp_id,
        "com.acme",
        '{"temp": 41}',
        "UnknownVendorId",
    )


@pytest.mark.parametrize("version", VERSIONS)
async def test_firmware_and_security_notifications_are_acknowledged(session_factory, version):
    pre_approve(session_factory, "CP-NOTIFY")
    async with running_ingest(session_factory) as server:
        async with charger(server, "CP-NOTIFY", version) as sim:
            if version == "1.6":
                await sim.call(c16.FirmwareStatusNotification(status="Installed"))
                await sim.call(c16.DiagnosticsStatusNotification(status="Idle"))
            else:
                await sim.call(c201.FirmwareStatusNotification(status="Installed"))
                await sim.call(
                    c201.SecurityEventNotification(
                        type="StartupOfTheDevice", timestamp="2024-05-01T10:00:00Z"
                    )
                )
                await sim.call(
                    c201.NotifyEvent(
                        generated_at="2024-05-01T10:00:00Z",
                        seq_no=0,
                        event_data=[
                            {
                                "event_id": 1,
                                "timestamp": "2024-05-01T10:00:00Z",
                                "trigger": "Delta",
                                "actual_value": "Unavailable",
                                "component": {"name": "EVSE"},
                                "event_notification_type": "HardWiredNotification",
                                "variable": {"name": "AvailabilityState"},
                            }
                        ],
                    )
                )


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_retried_meter_values_message_stores_its_readings_once(session_factory, version):
    pre_approve(session_factory, "CP-REMETER")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        async with charger(server, "CP-REMETER", version) as sim:
            if version == "1.6":
                message = c16.MeterValues(
                    connector_id=1,
                    meter_value=[_sample16("2024-05-01T08:30:00Z", "350")],
                )
            else:
                message = c201.MeterValues(
                    evse_id=1, meter_value=[_sample201("2024-05-01T08:30:00Z", 350)]
                )
            await sim.call(message)
            await sim.call(message)  # the answer was lost; the charger sends it again
    stored = rows(session_factory, select(MeterValue.energy_wh))
    assert stored == [350]
