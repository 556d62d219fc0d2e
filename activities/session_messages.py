"""Inputs and outputs of the session activities (and what the charger side sends
in: a start, a stop).

Frozen dataclasses with primitive fields (timestamps as ISO 8601 strings, money
as int cents, Decimals as strings) so they serialize through Temporal's default
converter and fields can be added later without breaking running workflows.
They live here, below `workflows/`, because activities must not import
workflows; `workflows.session_types` re-exports them under the same names."""

# No `from __future__ import annotations`: these dataclasses travel through
# Temporal's converter, which resolves their field types with get_type_hints()
# on every payload, compiling each string annotation anew (issue 14: three
# times the decoding cost; tests/workflows/test_session_messages.py).

from dataclasses import dataclass

from domain.pricing import PricedSession
from domain.session_snapshot import SessionSnapshot
from domain.split import SessionSplit


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
class AuthorizeAnswer:
    """Answer to an OCPP Authorize request (no session is started)."""

    accepted: bool
    status: str
    category: str
    reason: str = ""


@dataclass(frozen=True)
class PriceInput:
    snapshot: SessionSnapshot
    started_at: str
    stopped_at: str
    meter_start_wh: int
    meter_stop_wh: int

    @classmethod
    def of(cls, snapshot: SessionSnapshot, start: SessionStart, stop: SessionStop) -> "PriceInput":
        return cls(snapshot=snapshot, started_at=start.started_at, stopped_at=stop.stopped_at,
                   meter_start_wh=start.meter_start_wh, meter_stop_wh=stop.meter_stop_wh)


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

    @classmethod
    def unpriced(cls, meter_start_wh: int, meter_stop_wh: int) -> "PricedResult":
        """A session pricing cannot handle is still recorded and settled, at no
        charge and flagged, so finance sees it and prices it by hand."""
        return cls(
            energy_wh=max(0, meter_stop_wh - meter_start_wh),
            consumer_price_cents=0,
            total_excl_vat="0",
            flags=("pricing_failed",),
        )

    @classmethod
    def from_domain(cls, priced: PricedSession, *, flags: tuple[str, ...] = ()) -> "PricedResult":
        """Exact amounts travel as strings; the consumer price is the one rounding."""
        return cls(
            energy_wh=priced.energy_wh,
            consumer_price_cents=priced.total_cents,
            total_excl_vat=str(priced.total_excl_vat),
            dimensions=tuple(
                {
                    "type": d.type,
                    "quantity": str(d.quantity),
                    "billed_quantity": str(d.billed_quantity),
                    "price": str(d.price),
                    "amount": str(d.amount),
                }
                for d in priced.dimensions
            ),
            charging_seconds=priced.charging_seconds,
            parking_seconds=priced.parking_seconds,
            flags=tuple(flags),
        )


@dataclass(frozen=True)
class SplitInput:
    category: str
    energy_wh: int
    consumer_price_cents: int
    compensation_per_kwh: str
    roaming_fee_per_kwh: str


@dataclass(frozen=True)
class SettleInput:
    snapshot: SessionSnapshot
    stop: SessionStop
    # The price activity's result; None: the settle step prices the session
    # itself from `start` and `stop` (workflow patch price-in-settle).
    priced: PricedResult | None
    # The split activity's result (the domain's own split); None: the settle step
    # splits the session itself (workflow patch split-in-settle).
    split: SessionSplit | None
    flags: tuple[str, ...] = ()
    start: SessionStart | None = None


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

