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
    # Set by the gateway (or the ingest, from its transaction row): the workflow's id.
    workflow_id: str = ""
    # Why finance should look at this session (e.g. a start time replaced because
    # the charger's was impossible); recorded on the session and settled with it.
    flags: tuple[str, ...] = ()


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
    workflow_id: str = ""
    flags: tuple[str, ...] = ()


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


def session_workflow_id(ocpp_id: str, transaction_id: str, installation: str = "") -> str:
    """Deterministic per installation, charger and transaction, so duplicates reach
    one workflow and two databases on one Temporal cluster never share one
    (`db.installation`). Without an installation: the id of earlier versions."""
    if installation:
        return f"session:{installation}:{ocpp_id}:{transaction_id}"
    return f"session:{ocpp_id}:{transaction_id}"


@dataclass(frozen=True)
class SessionSnapshot:
    """Everything frozen at the start of a session (DOMAIN.md §2, §5): the
    authorization answer, the settlement category, the effective rate and access
    mode with their sources, and who gets paid. Recorded in workflow history."""

    workflow_id: str
    accepted: bool
    status: str
    category: str
    reason: str
    ocpp_id: str
    id_tag: str
    charging_point_id: int | None = None
    customer_id: int | None = None
    organization_id: int | None = None  # the charging point's (owner) organization
    main_organization_id: int | None = None
    partner_id: int | None = None
    card_id: int | None = None
    emsp_id: int | None = None
    access_mode: str | None = None
    access_mode_source: str | None = None
    rate_id: int | None = None
    rate_source: str | None = None
    tariff: dict | None = None  # OCPI 2.2.1 Tariff JSON
    compensation_per_kwh: str = "0"
    roaming_fee_per_kwh: str = "0"
    vat_rate_percent: str = "21"
    currency: str = "EUR"
    time_zone: str = "Europe/Amsterdam"


@dataclass(frozen=True)
class SessionConfig:
    """Durations the workflow waits, passed in so tests can use short ones."""

    max_duration_s: int = 72 * 3600
    # No stop and no meter summary for this long: the charger is lost.
    charger_lost_s: int = 24 * 3600
    # After a remote-stop request, how long to wait for the charger's stop.
    stop_grace_s: int = 300

    @classmethod
    def from_settings(cls, settings) -> SessionConfig:
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


@dataclass(frozen=True)
class PriceInput:
    snapshot: SessionSnapshot
    started_at: str
    stopped_at: str
    meter_start_wh: int
    meter_stop_wh: int


@dataclass(frozen=True)
class PricedResult:
    """The priced session: exact amounts as strings, the total rounded once to cents."""

    energy_wh: int
    consumer_price_cents: int
    total_excl_vat: str
    dimensions: tuple[dict, ...] = ()
    charging_seconds: int = 0
    parking_seconds: int = 0
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SplitInput:
    category: str
    energy_wh: int
    consumer_price_cents: int
    compensation_per_kwh: str
    roaming_fee_per_kwh: str


@dataclass(frozen=True)
class SplitResult:
    category: str
    emsp_billed_cents: int = 0
    main_org_invoiced_cents: int = 0
    owner_compensation_cents: int = 0
    employee_payout_cents: int = 0
    partner_fee_cents: int = 0
    platform_margin_cents: int = 0
    negative_margin: bool = False


@dataclass(frozen=True)
class SettleInput:
    snapshot: SessionSnapshot
    stop: SessionStop
    priced: PricedResult
    split: SplitResult
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionResult:
    workflow_id: str
    category: str
    accepted: bool
    status: str
    energy_wh: int = 0
    consumer_price_cents: int = 0
    ledger_entry_id: int | None = None
    flags: tuple[str, ...] = ()
