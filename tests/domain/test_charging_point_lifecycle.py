"""The charging point lifecycle rule (domain/charging_point_lifecycle.py): what a
socket, a boot and a claim do to the state, and when the billable period starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import charging_point_lifecycle as lifecycle
from domain.enums import ChargingPointState as State

NOW = datetime(2026, 10, 1, 8, tzinfo=UTC)
EARLIER = NOW - timedelta(days=30)


@pytest.mark.parametrize(
    ("state", "connected", "disconnected"),
    [
        (State.OFFLINE, State.CONNECTED, State.OFFLINE),
        (State.CONNECTED, State.CONNECTED, State.OFFLINE),
        (State.PRE_APPROVED, State.PRE_APPROVED, State.PRE_APPROVED),
        (State.PENDING, State.PENDING, State.PENDING),
        (State.REMOVED, State.REMOVED, State.REMOVED),
    ],
)
def test_only_a_connected_or_offline_charger_changes_state_with_its_socket(
    state, connected, disconnected
):
    assert lifecycle.after_connect(state) == connected
    assert lifecycle.after_disconnect(state) == disconnected


def test_the_first_accepted_boot_of_a_pre_approved_charger_starts_its_billable_period():
    outcome = lifecycle.boot(State.PRE_APPROVED, first_connected_at=None, now=NOW)
    assert outcome == lifecycle.BootOutcome("Accepted", State.CONNECTED, NOW)


def test_a_later_boot_never_moves_the_billable_start():
    outcome = lifecycle.boot(State.OFFLINE, first_connected_at=EARLIER, now=NOW)
    assert outcome == lifecycle.BootOutcome("Accepted", State.CONNECTED, EARLIER)


def test_a_pending_charger_stays_pending_and_a_removed_one_is_rejected_without_billing():
    assert lifecycle.boot(State.PENDING, first_connected_at=None, now=NOW) == (
        lifecycle.BootOutcome("Pending", State.PENDING, None)
    )
    assert lifecycle.boot(State.REMOVED, first_connected_at=None, now=NOW) == (
        lifecycle.BootOutcome("Rejected", State.REMOVED, None)
    )


def test_a_claimed_energized_charger_is_connected_and_billable_from_the_claim():
    assert lifecycle.claim(first_connected_at=None, now=NOW) == (
        lifecycle.BootOutcome("Accepted", State.CONNECTED, NOW)
    )
