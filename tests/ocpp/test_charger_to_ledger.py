"""End to end: a simulated charger (the `ocpp` library's charge-point side, over a
real websocket) completes sessions at the ingest; the real session workflow on
the Temporal dev server authorizes, prices and settles them; the priced session
and its ledger entry appear in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.demo import load_demo_data
from db.ledger import entries_for_reference
from db.models import ChargingSession, MeterValue
from energycloud.settings import Settings
from ocpp_ingest.options import IngestOptions
from ocpp_ingest.server import IngestServer
from ocpp_ingest.simulator import SimulatedCharger
from tests.workflows.helpers import offset_transaction_ids, session_worker

pytestmark = pytest.mark.temporal


async def settled(factory, ocpp_id: str, timeout_s: float = 30) -> ChargingSession:
    """Wait until the workflow has written the finished charge detail record."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        with factory() as s:
            row = s.scalar(select(ChargingSession).where(
                ChargingSession.ocpp_id == ocpp_id, ChargingSession.state == "finished"))
        if row is not None:
            return row
        if loop.time() > deadline:
            raise AssertionError(f"no settled session at {ocpp_id} after {timeout_s} s")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulated_charger_session_is_priced_settled_and_posted(
    temporal_client, session_factory, task_queue, version
):
    load_demo_data(session_factory, password="pw")
    offset_transaction_ids(session_factory, "ACME-DEPOT-01")
    options = IngestOptions(port=0, meter_summary_interval_s=0.1, flush_ms=5)
    async with session_worker(temporal_client, session_factory, task_queue) as gateway:
        server = IngestServer(Settings(), session_factory, gateway, f"node-{task_queue}",
                              temporal_client=temporal_client, options=options)
        async with server:
            charger = SimulatedCharger("ACME-DEPOT-01", "pw", version, server.url,
                                       energy_rate_w=0, meter_interval_s=0.1,
                                       id_tags=["NL-TNM-C00122045-K"])
            await charger.connect()
            try:
                assert await charger.boot_until_accepted(timeout_s=10) == "Accepted"
                charger.meters[1] = 1_000_000
                session = await charger.start_session(1, "NL-TNM-C00122045-K")
                assert session.accepted
                for _ in range(4):  # SCENARIOS S2: 24 kWh in four meter readings
                    charger.meters[1] += 6_000
                    await charger.send_meter_values(1)
                await charger.stop_session(1)
                refused = await charger.start_session(1, "DEADBEEF")  # SCENARIOS S5
                assert refused.status == "Invalid"
            finally:
                await charger.close()
            row = await settled(session_factory, "ACME-DEPOT-01")

    # S2: 24 kWh x 0.39 + 0.35 = 9.71 billed to ShellRecharge; 7.20 to Acme;
    # 1.20 to VoltPartners; 1.31 platform margin.
    assert row.energy_wh == 24_000 and row.category == "roaming"
    assert (row.emsp_billed_cents, row.owner_compensation_cents, row.partner_fee_cents,
            row.platform_margin_cents) == (971, 720, 120, 131)
    assert row.transaction_id == str(session.transaction_id)
    with session_factory() as s:
        [entry] = entries_for_reference(s, row.workflow_id)
        assert sum(p.amount_cents for p in entry.entry.postings) == 0
        assert max(p.amount_cents for p in entry.entry.postings) == 971
        stored = s.scalars(select(MeterValue.energy_wh).where(
            MeterValue.workflow_id == row.workflow_id).order_by(MeterValue.measured_at)).all()
        assert stored[-1] == 1_024_000  # the meter values reached the table
        rejected = s.scalar(select(ChargingSession).where(
            ChargingSession.ocpp_id == "ACME-DEPOT-01", ChargingSession.state == "rejected"))
        assert rejected is not None and rejected.id_tag == "DEADBEEF"
        assert rejected.emsp_billed_cents == 0
