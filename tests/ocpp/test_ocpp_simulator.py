"""The fleet simulator runs realistic lives against a real ingest node, on both
protocol versions, and `simulate` (what `energycloud simulate` calls) reports."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from db.models import MeterValue
from ocpp_ingest.simulator import SimulatedCharger, run_fleet, simulate
from tests.ocpp.support import PASSWORD, RecordingGateway, pre_approve, running_ingest


async def test_a_mixed_fleet_runs_sessions_with_meter_values(session_factory):
    ids = [f"FLEET-{i}" for i in range(4)]
    for ocpp_id in ids:
        pre_approve(session_factory, ocpp_id, connectors=1)
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway) as server:
        chargers = [
            SimulatedCharger(
                ocpp_id,
                PASSWORD,
                "1.6" if i % 2 else "2.0.1",
                meter_interval_s=0.2,
                energy_rate_w=7_200_000,
                id_tags=["ACCEPTED-1"],
            )
            for i, ocpp_id in enumerate(ids)
        ]
        report = await run_fleet(
            server.url, chargers, 2.5, session_every_s=1.0, session_duration_s=0.7, ramp_s=0.2
        )
    assert report.failures == [] and report.errors == 0
    assert report.connected == report.accepted == 4
    assert report.sessions_started >= 4 and report.sessions_stopped == report.sessions_started
    assert report.energy_wh > 0 and report.p99_ms < 1000
    assert len(gateway.starts) == report.sessions_started
    assert len(gateway.stops) == report.sessions_stopped
    assert (
        sum(
            s.meter_stop_wh - t.meter_start_wh
            for s, t in zip(
                sorted(gateway.stops, key=lambda s: s.transaction_id),
                sorted(gateway.starts, key=lambda s: s.transaction_id),
                strict=True,
            )
        )
        == report.energy_wh
    )
    with session_factory() as s:
        assert s.execute(select(func.count()).select_from(MeterValue)).scalar() > 8
    assert "4/4 chargers connected" in report.summary()


async def test_simulate_reports_a_small_fleet(session_factory):
    for i in range(1, 3):
        pre_approve(session_factory, f"SIMCLI-{i:04d}", connectors=1, password="pw")
    async with running_ingest(session_factory) as server:
        report = await asyncio.to_thread(
            simulate, server.url, 2, "mixed", 1.5, 0.6, "SIMCLI-", "pw", ["ACCEPTED-1"]
        )
    assert report.chargers == 2 and report.accepted == 2 and not report.failures
    assert report.sessions_started >= 2
