"""The settle step prices and splits a session itself when the workflow passes
neither price nor split (workflow patches price-in-settle, split-in-settle): the
same price and split the price_session and split_payout activities make; a
session pricing cannot handle settles unpriced and flagged, and a split that
fails for good settles without payouts, flagged."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.testing import ActivityEnvironment

from activities.session_activities import SessionActivities
from db.demo import load_demo_data
from db.models import ChargingSession
from domain.split import SPLIT_AMOUNTS, SessionSplit
from workflows.session_types import PriceInput, SessionStart, SessionStop, SettleInput, SplitInput

STARTED = datetime(2026, 10, 6, 9, tzinfo=UTC)


def _authorized_and_priced(acts, env, ocpp_id, id_tag):
    start = SessionStart(ocpp_id=ocpp_id, transaction_id=uuid.uuid4().hex, connector=1,
                         id_tag=id_tag, meter_start_wh=1_000, started_at=STARTED.isoformat())
    snap = env.run(acts.authorize_session, start)
    assert snap.accepted
    stop = SessionStop(ocpp_id=ocpp_id, transaction_id=start.transaction_id,
                       meter_stop_wh=23_456,
                       stopped_at=(STARTED + timedelta(hours=2)).isoformat())
    priced = env.run(acts.price_session, PriceInput.of(snap, start, stop))
    return snap, start, stop, priced


def _row_split(factory, workflow_id):
    with factory() as db:
        row = db.scalar(select(ChargingSession).where(ChargingSession.workflow_id == workflow_id))
        return {amount: getattr(row, amount) for amount in SPLIT_AMOUNTS}


@pytest.mark.parametrize("ocpp_id, id_tag", [
    ("ACME-DEPOT-01", "NL-TNM-C00122045-K"), ("ACME-HOME-001", "ACME-JAN-01"),
    ("PARK-P1-01", "NL-TNM-C00122045-K"),
])
def test_settling_without_a_split_splits_as_the_split_activity_does(
    session_factory, ocpp_id, id_tag
):
    load_demo_data(session_factory, password="pw")
    acts, env = SessionActivities(session_factory), ActivityEnvironment()
    snap, _, stop, priced = _authorized_and_priced(acts, env, ocpp_id, id_tag)
    expected = env.run(acts.split_payout, SplitInput(
        category=snap.category, energy_wh=priced.energy_wh,
        consumer_price_cents=priced.consumer_price_cents,
        compensation_per_kwh=snap.compensation_per_kwh,
        roaming_fee_per_kwh=snap.roaming_fee_per_kwh))
    assert any(getattr(expected, amount) for amount in SPLIT_AMOUNTS)
    settle = SettleInput(snapshot=snap, stop=stop, priced=priced, split=None)
    result = env.run(acts.settle_session, settle)
    assert "split_failed" not in result.flags
    assert result.category == expected.category
    assert _row_split(session_factory, snap.workflow_id) == {
        amount: getattr(expected, amount) for amount in SPLIT_AMOUNTS}
    assert env.run(acts.settle_session, settle) == result  # a retry posts nothing new


def test_a_split_that_fails_for_good_settles_without_payouts_flagged(session_factory):
    load_demo_data(session_factory, password="pw")
    acts, env = SessionActivities(session_factory), ActivityEnvironment()
    snap, _, stop, priced = _authorized_and_priced(acts, env, "ACME-HOME-001", "ACME-JAN-01")
    broken = replace(snap, compensation_per_kwh="not a number")  # InvalidOperation
    result = env.run(acts.settle_session, SettleInput(
        snapshot=broken, stop=stop, priced=priced, split=None, flags=("closed_by_x",)))
    assert result.flags[:2] == ("closed_by_x", "split_failed")
    empty = SessionSplit(category=snap.category)
    assert _row_split(session_factory, snap.workflow_id) == {
        amount: getattr(empty, amount) for amount in SPLIT_AMOUNTS}


# The settle step also prices the session when the workflow passes no price
# (workflow patch price-in-settle): the price_session activity's price, and a
# session pricing cannot handle settles unpriced, flagged, without payouts.


@pytest.mark.parametrize("ocpp_id, id_tag", [
    ("ACME-DEPOT-01", "NL-TNM-C00122045-K"), ("PARK-P1-01", "NL-TNM-C00122045-K"),
])
def test_settling_without_a_price_prices_as_the_price_activity_does(
    session_factory, ocpp_id, id_tag
):
    load_demo_data(session_factory, password="pw")
    acts, env = SessionActivities(session_factory), ActivityEnvironment()
    snap, start, stop, priced = _authorized_and_priced(acts, env, ocpp_id, id_tag)
    assert priced.consumer_price_cents > 0
    settle = SettleInput(snapshot=snap, stop=stop, priced=None, split=None, start=start)
    result = env.run(acts.settle_session, settle)
    assert (result.energy_wh, result.consumer_price_cents) == (
        priced.energy_wh, priced.consumer_price_cents)
    assert "pricing_failed" not in result.flags
    with session_factory() as db:
        row = db.scalar(select(ChargingSession).where(
            ChargingSession.workflow_id == snap.workflow_id))
        assert row.pricing["total_excl_vat"] == priced.total_excl_vat
    assert env.run(acts.settle_session, settle) == result  # a retry posts nothing new


def test_a_session_pricing_cannot_handle_settles_unpriced_flagged(session_factory):
    load_demo_data(session_factory, password="pw")
    acts, env = SessionActivities(session_factory), ActivityEnvironment()
    snap, start, stop, _ = _authorized_and_priced(
        acts, env, "ACME-DEPOT-01", "NL-TNM-C00122045-K")
    untariffed = replace(snap, tariff=None)  # Invalid: a refusal, not a glitch
    result = env.run(acts.settle_session, SettleInput(
        snapshot=untariffed, stop=stop, priced=None, split=None, start=start))
    assert "pricing_failed" in result.flags
    assert (result.consumer_price_cents, result.energy_wh) == (0, 23_456 - 1_000)
    empty = SessionSplit(category=snap.category)
    assert _row_split(session_factory, snap.workflow_id) == {
        amount: getattr(empty, amount) for amount in SPLIT_AMOUNTS}
