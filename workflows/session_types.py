"""Inputs and outputs of the charging session workflow and its public entry point.

Frozen dataclasses with primitive fields (timestamps as ISO 8601 strings, money
as int cents, Decimals as strings) so they serialize through Temporal's default
converter and fields can be added later without breaking running workflows."""

# No `from __future__ import annotations`: these dataclasses travel through
# Temporal's converter, which resolves their field types with get_type_hints()
# on every payload, compiling each string annotation anew (issue 14: three
# times the decoding cost; tests/workflows/test_session_messages.py).

from dataclasses import dataclass, field

# Activity messages and the snapshot live below workflows/ (activities may not
# import workflows); re-exported so `from workflows.session_types import X` works.
from activities.session_messages import (
    AuthorizeAnswer,
    PricedResult,
    PriceInput,
    SessionResult,
    SessionStart,
    SessionStop,
    SettleInput,
    SplitInput,
)
from domain.session_snapshot import SessionSnapshot, session_workflow_id

__all__ = [
    "AuthorizeAnswer",
    "LiveState",
    "MeterSummary",
    "PricedResult",
    "PriceInput",
    "SessionConfig",
    "SessionInput",
    "SessionResult",
    "SessionSnapshot",
    "SessionStart",
    "SessionStop",
    "SettleInput",
    "SplitInput",
    "StartAnswer",
    "StopRequest",
    "session_workflow_id",
]


@dataclass(frozen=True)
class StartAnswer:
    """The authorization answer the charger gets (idTagInfo / idTokenInfo)."""

    workflow_id: str
    accepted: bool
    status: str  # OCPP AuthorizationStatus: Accepted, Blocked, Expired, Invalid
    category: str
    reason: str = ""


@dataclass(frozen=True)
class MeterSummary:
    """A periodic summary (not every sample: samples go to the meter_values table)."""

    ocpp_id: str
    transaction_id: str
    energy_wh: int  # register reading
    measured_at: str  # ISO 8601
    power_w: int | None = None
    workflow_id: str = ""


@dataclass(frozen=True)
class LiveState:
    """What the session workflow's query exposes while it runs."""

    workflow_id: str
    state: str  # authorizing, active, stopping, pricing, settled, rejected
    category: str
    energy_wh: int
    cost_so_far_cents: int
    currency: str = "EUR"
    flags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SessionConfig:
    """Durations the workflow waits, passed in so tests can use short ones."""

    max_duration_s: int = 72 * 3600
    # No stop and no meter summary for this long: the charger is lost.
    charger_lost_s: int = 24 * 3600
    # After a remote-stop request, how long to wait for the charger's stop.
    stop_grace_s: int = 300

    @classmethod
    def from_settings(cls, settings) -> "SessionConfig":
        return cls(
            max_duration_s=settings.session_max_duration_s,
            charger_lost_s=settings.session_charger_lost_s,
            stop_grace_s=settings.session_stop_grace_s,
        )


@dataclass(frozen=True)
class SessionInput:
    start: SessionStart
    config: SessionConfig = field(default_factory=SessionConfig)


@dataclass(frozen=True)
class StopRequest:
    """A remote stop was requested (by a user, or by the platform)."""

    requested_by: str
    reason: str = "Remote"