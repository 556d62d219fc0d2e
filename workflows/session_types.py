"""Inputs and outputs of the charging session workflow and its public entry point.

Frozen dataclasses with primitive fields (timestamps as ISO 8601 strings, money
as int cents, Decimals as strings) so they serialize through Temporal's default
converter and fields can be added later without breaking running workflows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SessionStart:
    """A charger started (or asked to start) a transaction."""

    ocpp_id: str
    transaction_id: str
    connector: int
    id_tag: str
    meter_start_wh: int
    started_at: str  # ISO 8601, the charger's own timestamp (late messages keep theirs)


@dataclass(frozen=True)
class StartAnswer:
    """The authorization answer the charger gets (idTagInfo / idTokenInfo)."""

    workflow_id: str
    accepted: bool
    status: str  # OCPP AuthorizationStatus: Accepted, Blocked, Expired, Invalid
    category: str
    reason: str = ""


@dataclass(frozen=True)
class SessionStop:
    ocpp_id: str
    transaction_id: str
    meter_stop_wh: int
    stopped_at: str  # ISO 8601
    reason: str = "Local"
    id_tag: str | None = None


@dataclass(frozen=True)
class MeterSummary:
    """A periodic summary (not every sample: samples go to the meter_values table)."""

    ocpp_id: str
    transaction_id: str
    energy_wh: int  # register reading
    measured_at: str  # ISO 8601
    power_w: int | None = None


@dataclass(frozen=True)
class AuthorizeAnswer:
    """Answer to an OCPP Authorize request (no session is started)."""

    accepted: bool
    status: str
    category: str
    reason: str = ""


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


def session_workflow_id(ocpp_id: str, transaction_id: str) -> str:
    """Deterministic per charger and transaction, so duplicates reach one workflow."""
    return f"session:{ocpp_id}:{transaction_id}"
