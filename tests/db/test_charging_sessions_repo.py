"""The charging-session repository on the demo world (SQLite and PostgreSQL):
recording is idempotent, the meter timeline leaves out readings that went
backwards, and a person's list is scoped to their subtree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db import charging_sessions
from db.base import transaction
from db.demo import load_demo_data
from db.facts import session_snapshot
from db.models import ChargingPoint, ChargingSession, MeterValue, User
from db.scope import principal_of
from domain.enums import Category
from domain.split import SessionSplit

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _authorize(db, ocpp_id: str, transaction_id: str, id_tag: str = "ACME-JAN-01"):
    snap = session_snapshot(
        db, workflow_id=f"session:{ocpp_id}:{transaction_id}", ocpp_id=ocpp_id, id_tag=id_tag
    )
    return snap, charging_sessions.record_authorized(
        db, snapshot=snap, transaction_id=transaction_id, connector=1, started_at=T0,
        meter_start_wh=1000,
    )


def _settlement(stopped_at: datetime, flags=()) -> charging_sessions.Settlement:
    return charging_sessions.Settlement(
        stopped_at=stopped_at, meter_stop_wh=5000, energy_wh=4000, stop_reason="Local",
        pricing={"total_excl_vat": "0"}, consumer_price_cents=0,
        split=SessionSplit(Category.REIMBURSED, main_org_invoiced_cents=112,
                           employee_payout_cents=112),
        flags=tuple(flags),
    )


def test_recording_a_session_twice_keeps_one_row_and_settling_completes_it(session_factory):
    load_demo_data(session_factory, password="pw")
    with transaction(session_factory) as db:
        snap, added = _authorize(db, "ACME-HOME-001", "1")
        assert added and snap.accepted
    with transaction(session_factory) as db:
        assert _authorize(db, "ACME-HOME-001", "1")[1] is False
    with transaction(session_factory) as db:
        assert charging_sessions.record_settled(
            db, workflow_id=snap.workflow_id, settlement=_settlement(T0 + timedelta(hours=1),
                                                                     ["closed_by_max_duration"])
        ) == ("closed_by_max_duration",)
        assert charging_sessions.record_settled(
            db, workflow_id="session:nowhere:1", settlement=_settlement(T0)
        ) is None
    with session_factory() as db:
        (row,) = db.scalars(select(ChargingSession)).all()
        assert (row.state, row.energy_wh, row.needs_review) == ("finished", 4000, True)
        assert (row.main_org_invoiced_cents, row.employee_payout_cents) == (112, 112)
        assert row.snapshot["workflow_id"] == snap.workflow_id


def test_the_meter_timeline_is_in_time_order_without_readings_that_went_backwards(
    session_factory,
):
    load_demo_data(session_factory, password="pw")
    with transaction(session_factory) as db:
        cp_id = db.scalar(select(ChargingPoint.id).where(ChargingPoint.ocpp_id == "KORF-01"))
        for minutes, wh, regressed in [(20, 3000, False), (10, 2000, False), (30, 2500, True)]:
            db.add(MeterValue(
                charging_point_id=cp_id, connector=1, workflow_id="session:KORF-01:9",
                transaction_id="9", measured_at=T0 + timedelta(minutes=minutes), energy_wh=wh,
                regressed=regressed,
            ))
    with session_factory() as db:
        timeline = charging_sessions.meter_timeline(db, workflow_id="session:KORF-01:9")
    assert [(s.at - T0, s.energy_wh) for s in timeline] == [
        (timedelta(minutes=10), 2000), (timedelta(minutes=20), 3000),
    ]


def test_a_person_lists_only_the_sessions_of_their_subtree_that_ended_in_the_period(
    session_factory,
):
    load_demo_data(session_factory, password="pw")
    march, april = T0, datetime(2026, 4, 1, tzinfo=UTC)
    with transaction(session_factory) as db:
        acme, _ = _authorize(db, "ACME-HOME-001", "1")
        park, _ = _authorize(db, "PARK-P1-01", "2", id_tag="PARK-STAFF-01")
        late, _ = _authorize(db, "ACME-DEPOT-01", "3")
        for snap, stop in [(acme, march + timedelta(hours=2)), (park, march + timedelta(hours=3)),
                           (late, april + timedelta(hours=1))]:
            charging_sessions.record_settled(
                db, workflow_id=snap.workflow_id, settlement=_settlement(stop)
            )
    with session_factory() as db:
        def listed(email: str) -> list[str]:
            user = db.scalar(select(User).where(User.email == email))
            rows = charging_sessions.list_for_principal(
                db, principal=principal_of(user), start=march.replace(day=1, hour=0), end=april
            )
            return [r.ocpp_id for r in rows]

        assert listed("admin@acme.example") == ["ACME-HOME-001"]
        assert listed("admin@energycloud.example") == ["ACME-HOME-001", "PARK-P1-01"]
        assert listed("admin@chargeright.example") == ["PARK-P1-01"]
