"""Re-running any session activity (a retry, or a replay after a crash) changes
nothing: property-tested over random sessions with Temporal's activity test
environment and a real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.session_activities import SessionActivities
from db.demo import load_demo_data
from db.ledger import trial_balance
from db.models import ChargingSession, JournalEntryRow, LedgerPosting
from workflows.session_types import PriceInput, SessionStart, SessionStop, SettleInput, SplitInput

CARDS = ["NL-TNM-C00122045-K", "ACME-JAN-01", "DEADBEEF", "ACME-OLD-07", "NL-NUO-C12345678-X"]
POINTS = ["ACME-DEPOT-01", "ACME-DEPOT-02", "ACME-HOME-001", "PARK-P1-01", "PARK-OPEN-01",
          "KORF-01"]


def snapshot_of_db(factory):
    with factory() as s:
        rows = s.execute(
            select(ChargingSession.workflow_id, ChargingSession.state,
                   ChargingSession.emsp_billed_cents, ChargingSession.platform_margin_cents)
            .order_by(ChargingSession.workflow_id)
        ).all()
        return (
            rows,
            s.scalar(select(func.count()).select_from(JournalEntryRow)),
            s.scalar(select(func.count()).select_from(LedgerPosting)),
            trial_balance(s),
        )


def run_session_activities(acts: SessionActivities, env: ActivityEnvironment, start, wh, times):
    snap = None
    for _ in range(times):
        snap = env.run(acts.authorize_session, start)
    if not snap.accepted:
        return
    stopped = datetime.fromisoformat(start.started_at) + timedelta(hours=2)
    stop = SessionStop(ocpp_id=start.ocpp_id, transaction_id=start.transaction_id,
                       meter_stop_wh=start.meter_start_wh + wh, stopped_at=stopped.isoformat())
    price_in = PriceInput(snapshot=snap, started_at=start.started_at,
                          stopped_at=stop.stopped_at, meter_start_wh=start.meter_start_wh,
                          meter_stop_wh=stop.meter_stop_wh)
    for _ in range(times):
        priced = env.run(acts.price_session, price_in)
        split = env.run(acts.split_payout, SplitInput(
            category=snap.category, energy_wh=priced.energy_wh,
            consumer_price_cents=priced.consumer_price_cents,
            compensation_per_kwh=snap.compensation_per_kwh,
            roaming_fee_per_kwh=snap.roaming_fee_per_kwh))
        env.run(acts.settle_session, SettleInput(snapshot=snap, stop=stop, priced=priced,
                                                 split=split))


def test_rerunning_activities_changes_nothing(session_factory):
    load_demo_data(session_factory, password="pw")
    acts = SessionActivities(session_factory)
    env = ActivityEnvironment()

    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(sessions=st.lists(
        st.tuples(st.sampled_from(POINTS), st.sampled_from(CARDS),
                  st.integers(0, 80_000), st.integers(2, 3)),
        min_size=1, max_size=4))
    def check(sessions):
        for point, card, wh, times in sessions:
            start = SessionStart(
                ocpp_id=point, transaction_id=uuid.uuid4().hex, connector=1, id_tag=card,
                meter_start_wh=500_000,
                started_at=datetime(2026, 10, 3, 9, tzinfo=UTC).isoformat())
            # Reference: every activity of the session run once.
            run_session_activities(acts, env, start, wh, 1)
            after_once = snapshot_of_db(session_factory)
            # Running every activity again (retries / replays) changes nothing.
            run_session_activities(acts, env, start, wh, times)
            assert snapshot_of_db(session_factory) == after_once, (point, card, wh)
        assert sum(snapshot_of_db(session_factory)[3].values()) == 0

    check()
