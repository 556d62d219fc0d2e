"""The charging point lifecycle (DOMAIN.md §6, §9), written once:

    pre-approved ──first accepted boot──► connected ◄──► offline
    pending (unknown charger) ──claimed──► connected          any ──► removed

* A connected charger whose socket closes, or that goes silent, is offline; one
  that is heard from again is connected. Other states are not changed by a
  socket (a pre-approved charger becomes connected only by an accepted boot).
* A boot of a removed charger is rejected; a pending one stays pending until it
  is claimed (it retries its boot).
* The billable period starts at the first accepted boot or at the claim of an
  energized charger: `first_connected_at`, set once and never moved.

Pure: the ingest's repository (`db.ocpp_connections`) and onboarding
(`ocpp_ingest.onboarding`) apply it; the repository also turns the two socket
transitions into SQL `CASE` expressions from the mappings below."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.enums import ChargingPointState as State

# What a socket does to the state: only these change, every other state stays.
ON_CONNECT: dict[State, State] = {State.OFFLINE: State.CONNECTED}
ON_DISCONNECT: dict[State, State] = {State.CONNECTED: State.OFFLINE}


def after_connect(state: State) -> State:
    return ON_CONNECT.get(State(state), State(state))


def after_disconnect(state: State) -> State:
    return ON_DISCONNECT.get(State(state), State(state))


def billable_start(first_connected_at: datetime | None, now: datetime) -> datetime:
    """The start of the billable period: the first time it counted, never moved."""
    return first_connected_at if first_connected_at is not None else now


@dataclass(frozen=True)
class BootOutcome:
    registration: str  # OCPP RegistrationStatus: Accepted, Pending, Rejected
    state: State
    first_connected_at: datetime | None


def boot(state: State, *, first_connected_at: datetime | None, now: datetime) -> BootOutcome:
    """A BootNotification: the first accepted one of a pre-approved charging point
    completes onboarding and starts its billable period."""
    state = State(state)
    if state == State.REMOVED:
        return BootOutcome("Rejected", state, first_connected_at)
    if state == State.PENDING:
        return BootOutcome("Pending", state, first_connected_at)  # unclaimed: it retries
    if state in (State.PRE_APPROVED, State.OFFLINE):
        state = State.CONNECTED
    return BootOutcome("Accepted", state, billable_start(first_connected_at, now))


def claim(*, first_connected_at: datetime | None, now: datetime) -> BootOutcome:
    """An energized, connected charger claimed into the tree: billable from now."""
    return BootOutcome("Accepted", State.CONNECTED, billable_start(first_connected_at, now))
