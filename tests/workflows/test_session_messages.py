"""The session workflow's payloads: their field types are evaluated at class
creation (no postponed annotations), because Temporal's converter resolves them
with get_type_hints() for every payload it decodes, and a string annotation is
compiled anew each time (issue 14); and they round-trip through the converter."""

from __future__ import annotations

import dataclasses

import pytest
from temporalio.converter import DataConverter

from domain.split import SessionSplit
from workflows.session_types import (
    LiveState,
    MeterSummary,
    PricedResult,
    PriceInput,
    SessionConfig,
    SessionInput,
    SessionResult,
    SessionSnapshot,
    SessionStart,
    SessionStop,
    SettleInput,
    SplitInput,
    StartAnswer,
    StopRequest,
)

PAYLOADS = [SessionInput, SessionStart, SessionConfig, SessionSnapshot, StartAnswer,
            SessionStop, MeterSummary, StopRequest, PriceInput, PricedResult, SplitInput,
            SettleInput, SessionResult, LiveState]


def _nested(cls, seen):
    if not dataclasses.is_dataclass(cls) or cls in seen:
        return
    seen.add(cls)
    for f in dataclasses.fields(cls):
        _nested(f.type, seen)


@pytest.mark.parametrize("cls", PAYLOADS, ids=lambda c: c.__name__)
def test_payload_field_types_are_not_strings(cls):
    seen: set = set()
    _nested(cls, seen)
    assert cls in seen
    for each in seen:
        strings = [f.name for f in dataclasses.fields(each) if isinstance(f.type, str)]
        assert not strings, f"{each.__name__} has postponed annotations: {strings}"


def test_a_settlement_input_round_trips_through_the_converter():
    converter = DataConverter.default.payload_converter
    snapshot = SessionSnapshot(
        workflow_id="session:x:CP-1:1", accepted=True, status="Accepted", category="roaming",
        reason="roaming card", ocpp_id="CP-1", id_tag="TAG", tariff={"currency": "EUR"},
    )
    settle = SettleInput(
        snapshot=snapshot,
        stop=SessionStop(ocpp_id="CP-1", transaction_id="1", meter_stop_wh=12_345,
                         stopped_at="2026-10-05T09:00:00+00:00"),
        priced=PricedResult(energy_wh=12_345, consumer_price_cents=432, total_excl_vat="3.57"),
        split=SessionSplit(category="roaming"),
        flags=("late",),
    )
    [decoded] = converter.from_payloads(converter.to_payloads([settle]), [SettleInput])
    assert decoded == settle
