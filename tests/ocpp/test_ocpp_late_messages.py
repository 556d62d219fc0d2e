"""Charger-initiated messages that arrive late, out of order, repeated or odd,
on both protocol versions, through a real websocket against a recording gateway
that stands in for the session workflow."""

from __future__ import annotations

import pytest
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201
from sqlalchemy import select

from db.models import MeterValue, OcppAnomaly, OcppDataTransfer
from tests.ocpp.messages import IN_SERVICE, VERSIONS, sample16, sample201, start16, tx_event
from tests.ocpp.support import (
    RecordingGateway,
    booted_charger,
    charger,
    eventually,
    pre_approve,
    rows,
    running_ingest,
)


async def test_late_transaction_keeps_its_original_timestamps_v16(session_factory):
    gateway = RecordingGateway()
    async with booted_charger(
        session_factory, "CP-LATE", "1.6", gateway, in_service_since=IN_SERVICE
    ) as sim:
        answer = await sim.call(start16("2024-02-29T23:00:00+01:00", 100))
        tid = answer.transaction_id
        await sim.call(
            c16.MeterValues(
                connector_id=1,
                transaction_id=tid,
                meter_value=[sample16("2024-02-29T22:30:00Z", "600")],
            )
        )
        await sim.call(
            c16.StopTransaction(
                meter_stop=900,
                timestamp="2024-02-29T23:15:00Z",
                transaction_id=tid,
                reason="EVDisconnected",
                transaction_data=[
                    sample16("2024-02-29T23:15:00Z", "900", context="Transaction.End")
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
    gateway = RecordingGateway()
    async with booted_charger(
        session_factory, "CP-EVENTS", "2.0.1", gateway, in_service_since=IN_SERVICE
    ) as sim:
        # Cable plugged in first: no token yet, so no session and no idTokenInfo.
        plugged = await sim.call(
            tx_event(
                "Started",
                "tx-1",
                0,
                "2024-06-01T12:00:00Z",
                evse=2,
                meter=[sample201("2024-06-01T12:00:00Z", 2000)],
            )
        )
        assert plugged.id_token_info is None and not gateway.starts
        authorized = await sim.call(
            tx_event("Updated", "tx-1", 1, "2024-06-01T12:00:05Z", token="ROAMING-1", evse=None)
        )
        assert authorized.id_token_info == {"status": "Accepted"}
        await sim.call(
            tx_event(
                "Updated",
                "tx-1",
                2,
                "2024-06-01T12:30:00Z",
                evse=None,
                meter=[sample201("2024-06-01T12:30:00Z", 7.5, "kWh")],
            )
        )
        ended = await sim.call(
            tx_event(
                "Ended",
                "tx-1",
                3,
                "2024-06-01T13:00:00Z",
                evse=None,
                token="ROAMING-1",
                stopped_reason="EVDisconnected",
                meter=[sample201("2024-06-01T13:00:00Z", 9000)],
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
    gateway = RecordingGateway()
    async with booted_charger(
        session_factory, "CP-GHOST", version, gateway, in_service_since=IN_SERVICE
    ) as sim:
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
                tx_event("Ended", "ghost-tx", 7, "2024-05-01T09:00:00Z", stopped_reason="Local")
            )
            assert answer.id_token_info is None
            tid = "ghost-tx"
        assert await sim.heartbeat()
    assert not gateway.stops
    (anomaly,) = rows(session_factory, select(OcppAnomaly))
    assert (anomaly.kind, anomaly.transaction_id) == ("stop_unknown_transaction", tid)


async def test_stop_the_workflow_no_longer_knows_is_accepted_and_flagged(session_factory):
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-GONEWF", "1.6", gateway) as sim:
        await sim.start_session(1, "ACCEPTED-1")
        gateway.unknown_stops = True
        await sim.stop_session(1)
    kinds = [a.kind for a in rows(session_factory, select(OcppAnomaly))]
    assert kinds == ["stop_unknown_to_workflow"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_meter_register_going_backwards_is_flagged_not_priced(session_factory, version):
    gateway = RecordingGateway()
    async with booted_charger(
        session_factory, "CP-BACK", version, gateway, in_service_since=IN_SERVICE,
        meter_summary_interval_s=0,
    ) as sim:
        if version == "1.6":
            tid = (await sim.call(start16("2024-05-01T10:00:00Z", 5000))).transaction_id
            for ts, wh in (("10:10", "6000"), ("10:20", "4000"), ("10:30", "6500")):
                await sim.call(
                    c16.MeterValues(
                        connector_id=1,
                        transaction_id=tid,
                        meter_value=[sample16(f"2024-05-01T{ts}:00Z", wh)],
                    )
                )
        else:
            await sim.call(
                tx_event(
                    "Started",
                    "tx-b",
                    0,
                    "2024-05-01T10:00:00Z",
                    token="ACCEPTED-1",
                    meter=[sample201("2024-05-01T10:00:00Z", 5000)],
                )
            )
            for seq, (ts, wh) in enumerate(
                (("10:10", 6000), ("10:20", 4000), ("10:30", 6500)), start=1
            ):
                await sim.call(
                    tx_event(
                        "Updated",
                        "tx-b",
                        seq,
                        f"2024-05-01T{ts}:00Z",
                        meter=[sample201(f"2024-05-01T{ts}:00Z", wh)],
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
    gateway = RecordingGateway()
    async with booted_charger(
        session_factory, "CP-SUMMARY", "1.6", gateway, meter_summary_interval_s=3600
    ) as sim:
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
    async with booted_charger(session_factory, "CP-NOTIFY", version) as sim:
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
    gateway = RecordingGateway()
    async with booted_charger(session_factory, "CP-REMETER", version, gateway) as sim:
        if version == "1.6":
            message = c16.MeterValues(
                connector_id=1,
                meter_value=[sample16("2024-05-01T08:30:00Z", "350")],
            )
        else:
            message = c201.MeterValues(
                evse_id=1, meter_value=[sample201("2024-05-01T08:30:00Z", 350)]
            )
        await sim.call(message)
        await sim.call(message)  # the answer was lost; the charger sends it again
    stored = rows(session_factory, select(MeterValue.energy_wh))
    assert stored == [350]
