"""Meter values of OCPP 1.6 (MeterValues, StopTransaction.transactionData) and
2.0.1 (MeterValues, TransactionEvent.meterValue) as integer Wh and W readings
(DOMAIN.md §7: energy is integer Wh).

Only what billing needs is kept: Energy.Active.Import.Register (the default
measurand) in Wh or kWh, and Power.Active.Import in W or kW. A total (no phase)
value wins; otherwise per-phase values are summed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ocpp.exceptions import PropertyConstraintViolationError

from ocpp_ingest.errors import parse_timestamp

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
_SCALE = {"Wh": Decimal(1), "kWh": Decimal(1000), "W": Decimal(1), "kW": Decimal(1000)}
_PHASES = {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}
# Beyond this (in the charger's unit, after scaling: Wh or W) a value is the
# charger's error, not a reading: 10^15 Wh is a petawatt-hour.
_MAX_VALUE = Decimal(10) ** 15


@dataclass(frozen=True)
class Reading:
    measured_at: datetime
    energy_wh: int | None = None
    power_w: int | None = None
    context: str | None = None


def _number(value, measurand: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise PropertyConstraintViolationError(
            details={"cause": f"{measurand} value {str(value)[:64]!r} is not a number"}
        )
    if number.adjusted() >= 15:  # "1e999999999" is a number no meter reads (no arithmetic)
        raise PropertyConstraintViolationError(
            details={"cause": f"{measurand} value {str(value)[:64]!r} is out of range"}
        )
    return number


def _combine(values: list[tuple[str | None, Decimal]]) -> int | None:
    total = [v for phase, v in values if phase is None]
    if total:
        chosen = total[0]
    else:
        phased = [v for phase, v in values if phase in _PHASES]
        if not phased:
            return None
        chosen = sum(phased, Decimal(0))
    if abs(chosen) > _MAX_VALUE:
        raise PropertyConstraintViolationError(
            details={"cause": f"a reading of {chosen:.3e} is out of range"}
        )
    return int(chosen.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _reading(timestamp: str, samples: list[dict], scale_of) -> Reading:
    measured_at = parse_timestamp(timestamp)
    found: dict[str, list[tuple[str | None, Decimal]]] = {ENERGY: [], POWER: []}
    context = None
    for sv in samples or []:
        measurand = sv.get("measurand") or ENERGY
        if measurand not in found or sv.get("format") == "SignedData":
            continue
        scale = scale_of(sv, measurand)
        if scale is None:
            continue
        found[measurand].append((sv.get("phase"), _number(sv.get("value"), measurand) * scale))
        context = context or sv.get("context")
    return Reading(measured_at, _combine(found[ENERGY]), _combine(found[POWER]), context)


def _scale_v16(sv: dict, measurand: str) -> Decimal | None:
    unit = sv.get("unit") or ("Wh" if measurand == ENERGY else "W")
    return _SCALE.get(unit)


def _scale_v201(sv: dict, measurand: str) -> Decimal | None:
    unit_of_measure = sv.get("unit_of_measure") or {}
    unit = unit_of_measure.get("unit") or ("Wh" if measurand == ENERGY else "W")
    base = _SCALE.get(unit)
    if base is None:
        return None
    multiplier = int(unit_of_measure.get("multiplier") or 0)
    if not -15 <= multiplier <= 15:
        raise PropertyConstraintViolationError(
            details={"cause": f"unitOfMeasure multiplier {multiplier} is out of range"}
        )
    return base * (Decimal(10) ** multiplier)


def readings_v16(meter_values: list[dict] | None) -> list[Reading]:
    """`meterValue` of OCPP 1.6 (snake_case keys, as the ocpp library passes them)."""
    return [
        r
        for r in (
            _reading(mv.get("timestamp"), mv.get("sampled_value"), _scale_v16)
            for mv in meter_values or []
        )
        if r.energy_wh is not None or r.power_w is not None
    ]


def readings_v201(meter_values: list[dict] | None) -> list[Reading]:
    """`meterValue` of OCPP 2.0.1: numeric values, unitOfMeasure with a 10^n multiplier."""
    return [
        r
        for r in (
            _reading(mv.get("timestamp"), mv.get("sampled_value"), _scale_v201)
            for mv in meter_values or []
        )
        if r.energy_wh is not None or r.power_w is not None
    ]
