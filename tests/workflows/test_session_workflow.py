"""ChargingSessionWorkflow against a real Temporal dev server and a real
database (SQLite and PostgreSQL): the SCENARIOS.md sessions to the cent, duplicates,
timeouts and remote-stop requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.demo import load_demo_data
from db.ledger import entries_for_reference, trial_balance
from db.models import ChargingSession
from tests.workflows.helpers import ScriptedSession, session_worker
from workflows.session_types import SessionConfig, StopRequest

pytestmark = pytest.mark.temporal

OCT = datetime(2026, 10, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(session_factory):
    load_demo_data(session_factory, password="pw")
    return session_factory


async def run_session(gateway, factory, script: ScriptedSession):
    answer = await gateway.start(script.start())
    if answer.accepted:
        script.store_meter_values(factory, answer.workflow_id)
        await gateway.meter_summary(script.summary(0.5))
        await gateway.stop(script.stop())
    result = await gateway.result(script.ocpp_id, script.transaction_id)
    return answer, result


def row(factory, workflow_id) -> ChargingSession:
    with factory() as s:
        return s.scalar(select(ChargingSession).where(ChargingSession.workflow_id == workflow_id))


# SCENARIOS.md, October sessions: (where, card, Wh) -> category and the split in cents.
SCENARIOS = [
    # S1: 18.25 kWh x 0.28 = 5.11 invoiced to Acme, paid to Jan.
    ("S1", "ACME-HOME-001", "ACME-JAN-01", 18_250, "reimbursed",
     dict(main_org_invoiced_cents=511, employee_payout_cents=511, emsp_billed_cents=0)),
    # S2: 24 x 0.39 + 0.35 = 9.71; 24 x 0.30 = 7.20; 24 x 0.05 = 1.20; 9.71-7.20-1.20 = 1.31.
    ("S2", "ACME-DEPOT-01", "NL-TNM-C00122045-K", 24_000, "roaming",
     dict(emsp_billed_cents=971, owner_compensation_cents=720, partner_fee_cents=120,
          platform_margin_cents=131)),
    # S3: Jan's card whitelisted at the depot, not his home charger: free.
    ("S3", "ACME-DEPOT-01", "ACME-JAN-01", 10_000, "free",
     dict(emsp_billed_cents=0, main_org_invoiced_cents=0, employee_payout_cents=0)),
    # S4: CP's own rate 10.5 x 0.45 = 4.725 -> 4.73; 3.15; 0.525 -> 0.53; margin 1.05.
    ("S4", "ACME-DEPOT-02", "NL-TNM-C00122045-K", 10_500, "roaming",
     dict(emsp_billed_cents=473, owner_compensation_cents=315, partner_fee_cents=53,
          platform_margin_cents=105)),
]


async def test_october_sessions_settle_to_the_cent(temporal_client, world, task_queue):
    async with session_worker(temporal_client, world, task_queue) as gateway:
        results = {}
        for name, ocpp_id, tag, wh, category, money in SCENARIOS:
            script = ScriptedSession(ocpp_id, tag, wh, OCT, transaction_id=f"{name}-{task_queue}")
            answer, result = await run_session(gateway, world, script)
            assert answer.accepted and answer.status == "Accepted", name
            assert result.category == category, name
            got = row(world, answer.workflow_id)
            assert got.state == "finished" and got.energy_wh == wh, name
            for field, cents in money.items():
                assert getattr(got, field) == cents, (name, field)
            results[name] = (answer.workflow_id, got)

        # S5: unknown tag at the depot: rejected, recorded, never billed.
        s5 = ScriptedSession("ACME-DEPOT-01", "DEADBEEF", 0, OCT, transaction_id=f"S5-{task_queue}")
        answer, result = await run_session(gateway, world, s5)
        assert (answer.accepted, answer.status, result.category) == (False, "Invalid", "rejected")
        assert row(world, answer.workflow_id).state == "rejected"

    with world() as s:
        # Roaming: Dr eMSP 9.71, Cr Acme 7.20, Cr VoltPartners 1.20, Cr margin 1.31.
        s2 = entries_for_reference(s, results["S2"][0])
        assert len(s2) == 1
        postings = {p.account: p.amount_cents for p in s2[0].entry.postings}
        acme, volt, shell = (results["S2"][1].organization_id, results["S2"][1].partner_id,
                             results["S2"][1].emsp_id)
        assert postings == {
            f"receivable:emsp:{shell}": 971, f"payable:org:{acme}": -720,
            f"payable:partner:{volt}": -120, "revenue:roaming_margin": -131,
        }
        assert entries_for_reference(s, results["S3"][0]) == []  # free: nothing to post
        balance = trial_balance(s)
        assert sum(balance.values()) == 0
        # In = 5.11 + 9.71 + 4.73; out = 5.11 + 7.20 + 3.15 + fees 1.73; margin 2.36.
        assert balance[f"receivable:emsp:{shell}"] == 971 + 473
        assert balance["revenue:roaming_margin"] == -(131 + 105)
        assert balance[f"payable:partner:{volt}"] == -(120 + 53)


async def test_retried_start_and_stop_reach_the_same_session_and_post_once(
    temporal_client, world, task_queue
):
    script = ScriptedSession("ACME-DEPOT-02", "NL-TNM-C00122045-K", 10_500, OCT,
                             transaction_id=f"dup-{task_queue}")
    async with session_worker(temporal_client, world, task_queue) as gateway:
        first, again = await asyncio.gather(gateway.start(script.start()),
                                            gateway.start(script.start()))
        assert first == again
        await gateway.stop(script.stop())
        await gateway.stop(script.stop())  # a StopTransaction retried after a lost answer
        result = await gateway.result(script.ocpp_id, script.transaction_id)
        # A very late retry of the start, after the session finished, gets the same answer.
        late = await gateway.start(script.start())
        assert (late.workflow_id, late.accepted, late.category) == (
            first.workflow_id, True, "roaming")
    assert result.consumer_price_cents == 473
    with world() as s:
        assert len(entries_for_reference(s, first.workflow_id)) == 1
        assert s.query(ChargingSession).filter_by(workflow_id=first.workflow_id).count() == 1


async def test_lost_charger_session_closes_from_last_meter_reading_and_is_flagged(
    temporal_client, world, task_queue
):
    script = ScriptedSession("ACME-DEPOT-01", "NL-TNM-C00122045-K", 24_000, OCT,
                             transaction_id=f"lost-{task_queue}")
    config = SessionConfig(max_duration_s=3600, charger_lost_s=2, stop_grace_s=60)
    async with session_worker(temporal_client, world, task_queue, config) as gateway:
        answer = await gateway.start(script.start())
        await gateway.meter_summary(script.summary(0.5))  # 12 kWh, then silence
        result = await asyncio.wait_for(
            gateway.result(script.ocpp_id, script.transaction_id), timeout=30)
    assert result.energy_wh == 12_000
    assert "closed_by_charger_lost" in result.flags
    got = row(world, answer.workflow_id)
    # 12 x 0.39 + 0.35 = 5.03, billed from the last known reading.
    assert got.needs_review and got.consumer_price_cents == 503


async def test_unconfirmed_remote_stop_closes_the_session_after_the_grace_period(
    temporal_client, world, task_queue
):
    script = ScriptedSession("ACME-DEPOT-01", "NL-TNM-C00122045-K", 10_000, OCT,
                             transaction_id=f"remote-{task_queue}")
    config = SessionConfig(max_duration_s=3600, charger_lost_s=600, stop_grace_s=1)
    async with session_worker(temporal_client, world, task_queue, config) as gateway:
        await gateway.start(script.start())
        await gateway.meter_summary(script.summary(1.0))
        live = await gateway.live_state(script.ocpp_id, script.transaction_id)
        # 10 x 0.39 + 0.35 = 4.25 so far.
        assert (live.energy_wh, live.cost_so_far_cents, live.state) == (10_000, 425, "active")
        await gateway.request_stop(script.ocpp_id, script.transaction_id,
                                   StopRequest(requested_by="ops"))
        result = await asyncio.wait_for(
            gateway.result(script.ocpp_id, script.transaction_id), timeout=30)
    assert "closed_by_remote_stop_unconfirmed" in result.flags
    assert result.consumer_price_cents == 425


async def test_authorize_answers_from_access_mode_rules_without_a_session(
    temporal_client, world, task_queue
):
    async with session_worker(temporal_client, world, task_queue) as gateway:
        ok = await gateway.authorize("ACME-DEPOT-01", "NL-TNM-C00122045-K")
        blocked = await gateway.authorize("ACME-DEPOT-01", "ACME-OLD-07")
        unknown = await gateway.authorize("ACME-DEPOT-01", "DEADBEEF")
        anyone = await gateway.authorize("PARK-OPEN-01", "DEADBEEF")
    assert (ok.accepted, ok.category) == (True, "roaming")
    assert (blocked.accepted, blocked.status) == (False, "Blocked")
    assert (unknown.accepted, unknown.status) == (False, "Invalid")
    assert (anyone.accepted, anyone.category) == (True, "free")
    with world() as s:
        assert s.query(ChargingSession).count() == 0
