"""Price a charging session with an OCPI 2.2.1 tariff (DOMAIN.md §3, §7).

Two inputs, one engine: measured `SessionFacts` are first cut into OCPI charging
periods (`domain.charging_periods.cut_into_periods`); a CDR's charging periods are
used as given. Every period is then priced the same way:

* Per dimension, the FIRST tariff element whose restrictions match the period and
  which has a component of that dimension sets the price (mod_tariffs §Tariff
  object). No match: that dimension is free in that period.
* Restrictions are evaluated at the start of the period, in the location's time
  zone, with the energy and the session duration accumulated before it
  (mod_tariffs §TariffRestrictions: min/max_kwh, min/max_duration count from the
  start of the session; power and current are the period's own).
* FLAT is charged once per session, from the first element that matches at the
  start of the session and has a FLAT component.
* step_size (mod_tariffs §PriceComponent, "Example: switching to different Tariff
  Element"): the session's total priced volume of a dimension (ENERGY in Wh, TIME
  and PARKING_TIME in seconds) is rounded up to the step_size of the last
  component that priced that dimension, and the rounded-up extra is billed at
  that component's price. When charging is followed by parking, only the parking
  is rounded (with the step of the last time-based component) and the charging
  TIME is billed as measured: mod_cdrs §step_size, and mod_tariffs' own worked
  examples ("switching to different Tariff Element #1": 0.55; "switching to
  Free-of-Charge Tariff Element": 0.73 after the errata; the Complex Tariff
  example's lines in the corrected text: "the charging time is not affected by
  step_size because it is followed by another time-based period").
  Only priced volume counts: stretches no element prices are free and unrounded.
* `min_price` / `max_price` bound the total excl. VAT (mod_tariffs §Tariff object).

Elements restricted to `reservation` describe reservation costs, which this
engine does not price; they never match a charging period. Amounts are exact
`Decimal`s; rounding to cents happens once, in `PricedSession.total_cents`
(DOMAIN.md §7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from domain import money
from domain.charging_periods import (
    ChargingPeriod,
    MeterSample,
    SessionFacts,
    cut_into_periods,
    utc,
    zone,
)
from domain.tariff import DAYS, PriceComponent, Tariff, TariffRestrictions

__all__ = ["ChargingPeriod", "MeterSample", "PricedDimension", "PricedSession",
           "SessionFacts", "price_charging_periods", "price_session"]

ZERO = Decimal(0)
_MICRO = Decimal("0.000001")
# Explicit arithmetic context, so nothing the caller did to the thread's context
# changes a price (28 significant digits is Python's default).
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
# Per-unit divisor from the base unit a step_size counts in: Wh -> kWh, s -> hours.
_PER_UNIT = {"ENERGY": Decimal(1000), "TIME": Decimal(3600), "PARKING_TIME": Decimal(3600)}


@dataclass(frozen=True)
class PricedDimension:
    """One billed line: a dimension at one price (kWh, hours, or 1 for FLAT)."""

    type: str
    quantity: Decimal  # what was used
    billed_quantity: Decimal  # after step_size
    price: Decimal  # per unit, excl. VAT
    amount: Decimal  # billed_quantity x price, exact


@dataclass(frozen=True)
class PricedSession:
    currency: str
    dimensions: tuple[PricedDimension, ...]
    energy_wh: int
    charging_seconds: int
    parking_seconds: int
    total_before_limits: Decimal
    total_excl_vat: Decimal  # after the tariff's min_price / max_price
    min_price_applied: bool
    max_price_applied: bool

    @property
    def total_cents(self) -> int:
        """The one rounding step: exact total to cents, half up (DOMAIN.md §7)."""
        return money.to_cents(self.total_excl_vat)

    def vat_cents(self, rate_percent: Decimal) -> int:
        """VAT on the rounded net total, half up (DOMAIN.md §7)."""
        return money.vat_cents(self.total_cents, Decimal(rate_percent))

    def amount(self, dimension: str) -> Decimal:
        """The exact amount billed for one dimension, over all its prices."""
        return sum((d.amount for d in self.dimensions if d.type == dimension), ZERO)


def price_session(tariff: Tariff, facts: SessionFacts) -> PricedSession:
    """Price measured session facts: cut into charging periods, then price those."""
    with localcontext(_CONTEXT):
        periods = cut_into_periods(facts, tariff)
        return _price(tariff, facts.start, periods, facts.time_zone)


def price_charging_periods(
    tariff: Tariff,
    start_date_time: datetime | str,
    periods: Iterable[dict] | Iterable[ChargingPeriod],
    time_zone: str = "UTC",
) -> PricedSession:
    """Price OCPI CDR charging periods (dicts as in mod_cdrs, or `ChargingPeriod`s).

    The periods are taken as the CPO cut them: each is priced by the restrictions
    that hold at its start, so a period that crosses a tariff boundary is not cut.
    """
    with localcontext(_CONTEXT):
        start = utc(start_date_time, "start_date_time")
        parsed = [p if isinstance(p, ChargingPeriod) else ChargingPeriod.from_ocpi(p)
                  for p in periods]
        parsed.sort(key=lambda p: p.start_date_time)
        return _price(tariff, start, parsed, time_zone)


@dataclass(frozen=True)
class _Moment:
    """What restrictions are evaluated against: the start of one period."""

    local: datetime
    energy_before_wh: Decimal
    elapsed_seconds: Decimal
    period: ChargingPeriod | None


def _price(tariff: Tariff, start: datetime, periods: Sequence[ChargingPeriod],
           time_zone: str) -> PricedSession:
    tz = zone(time_zone)
    used: dict[tuple[str, Decimal], Decimal] = {}  # (dimension, price) -> base units
    extra: dict[tuple[str, Decimal], Decimal] = {}  # step_size round-up, base units
    priced: dict[str, Decimal] = {}  # dimension -> total priced volume
    last: dict[str, PriceComponent] = {}  # dimension -> component of its last priced period
    totals = {"ENERGY": ZERO, "TIME": ZERO, "PARKING_TIME": ZERO}
    energy_before = ZERO
    last_time_based = None  # TIME or PARKING_TIME, whichever was priced last
    for period in periods:
        moment = _Moment(period.start_date_time.astimezone(tz), energy_before,
                         _seconds(period.start_date_time - start), period)
        volumes = {"ENERGY": period.energy_kwh * 1000,
                   "TIME": (period.time_hours * 3600).quantize(_MICRO),
                   "PARKING_TIME": (period.parking_hours * 3600).quantize(_MICRO)}
        for dimension, volume in volumes.items():
            totals[dimension] += volume
            component = _component(tariff, dimension, moment) if volume > 0 else None
            if component is None:
                continue
            key = (dimension, component.price)
            used[key] = used.get(key, ZERO) + volume
            priced[dimension] = priced.get(dimension, ZERO) + volume
            last[dimension] = component
            if dimension != "ENERGY":
                last_time_based = dimension
        energy_before += volumes["ENERGY"]

    for dimension, component in last.items():
        if dimension == "TIME" and last_time_based == "PARKING_TIME":
            continue  # charging followed by parking: only the parking is rounded
        remainder = priced[dimension] % component.step_size
        if remainder:
            key = (dimension, component.price)
            extra[key] = extra.get(key, ZERO) + component.step_size - remainder

    lines = []
    first = periods[0] if periods and periods[0].start_date_time == start else None
    flat = _component(tariff, "FLAT", _Moment(start.astimezone(tz), ZERO, ZERO, first))
    if flat is not None:
        lines.append(PricedDimension("FLAT", Decimal(1), Decimal(1), flat.price, flat.price))
    for (dimension, price), volume in used.items():
        billed = volume + extra.get((dimension, price), ZERO)
        unit = _PER_UNIT[dimension]
        lines.append(PricedDimension(dimension, volume / unit, billed / unit, price,
                                     billed * price / unit))

    total = sum((line.amount for line in lines), ZERO)
    limited = total
    if tariff.min_price is not None and limited < tariff.min_price:
        limited = tariff.min_price
    if tariff.max_price is not None and limited > tariff.max_price:
        limited = tariff.max_price
    return PricedSession(
        currency=tariff.currency,
        dimensions=tuple(lines),
        energy_wh=money.round_half_up(totals["ENERGY"]),
        charging_seconds=money.round_half_up(totals["TIME"]),
        parking_seconds=money.round_half_up(totals["PARKING_TIME"]),
        total_before_limits=total,
        total_excl_vat=limited,
        min_price_applied=limited > total,
        max_price_applied=limited < total,
    )


def _seconds(delta) -> Decimal:
    return max(ZERO, Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds)
               * _MICRO)


def _component(tariff: Tariff, dimension: str, moment: _Moment) -> PriceComponent | None:
    """First element with a component of this dimension whose restrictions match."""
    for element in tariff.elements:
        component = element.component(dimension)
        if component is not None and _matches(element.restrictions, moment):
            return component
    return None


def _matches(r: TariffRestrictions | None, m: _Moment) -> bool:
    if r is None:
        return True
    if r.reservation is not None:
        return False  # reservation costs; never part of a charging session here
    wall = m.local.time().replace(tzinfo=None)
    if r.start_time is not None and r.end_time is not None and r.start_time > r.end_time:
        if not (wall >= r.start_time or wall < r.end_time):  # window across midnight
            return False
    elif not ((r.start_time is None or wall >= r.start_time)
              and (r.end_time is None or wall < r.end_time)):
        return False
    today = m.local.date()
    if (r.start_date is not None and today < r.start_date) or (
            r.end_date is not None and today >= r.end_date):  # end_date is exclusive
        return False
    if r.day_of_week and DAYS[m.local.weekday()] not in r.day_of_week:
        return False
    if not _within(m.energy_before_wh, _kwh_to_wh(r.min_kwh), _kwh_to_wh(r.max_kwh)):
        return False
    if not _within(m.elapsed_seconds, r.min_duration, r.max_duration):
        return False
    p = m.period
    low_power, high_power = _power(p)
    if not _bounded(low_power, high_power, r.min_power, r.max_power):
        return False
    low_current = high_current = None
    if p is not None:
        low_current = _first(p.min_current_a, p.max_current_a)
        high_current = _first(p.max_current_a, p.min_current_a)
    return _bounded(low_current, high_current, r.min_current, r.max_current)


def _within(value: Decimal, low, high) -> bool:
    """low inclusive, high exclusive (mod_tariffs: min_duration incl., max_duration excl.)."""
    return (low is None or value >= low) and (high is None or value < high)


def _bounded(low_value, high_value, minimum, maximum) -> bool:
    """Power/current limits: the period's lowest value must reach `minimum`, its
    highest must stay below `maximum`; an unknown value never satisfies a limit."""
    if minimum is not None and (low_value is None or low_value < minimum):
        return False
    return maximum is None or (high_value is not None and high_value < maximum)


def _power(p: ChargingPeriod | None) -> tuple[Decimal | None, Decimal | None]:
    if p is None:
        return None, None
    if p.min_power_kw is None and p.max_power_kw is None and p.time_hours > 0:
        average = p.energy_kwh / p.time_hours  # a CDR without power: its average
        return average, average
    return _first(p.min_power_kw, p.max_power_kw), _first(p.max_power_kw, p.min_power_kw)


def _first(a, b):
    return a if a is not None else b


def _kwh_to_wh(kwh: Decimal | None) -> Decimal | None:
    return None if kwh is None else kwh * 1000
