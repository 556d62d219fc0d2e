"""Session facts -> OCPI 2.2.1 CDR ChargingPeriods, split wherever a restriction can change.

OCPI mod_cdrs §CDR object ("ChargingPeriod"): a CPO SHALL start a new charging
period at every moment that is relevant for the costs. `cut_into_periods` does that
for a session measured by meter samples: it cuts at every sample, at every
time of day named by any restriction of the tariff and at local midnight (in the
location's time zone, both sides of a DST change), at every DST transition, at
every min/max_duration and at the instant each min/max_kwh threshold is reached.
Cutting more often than needed never changes a price, so the cuts are a superset.

Energy between two samples is interpolated linearly in time. The cumulative
energy at a cut is rounded to whole Wh (the meter's resolution, DOMAIN.md §7), so
the periods always add up exactly to the energy between the start and stop
readings. A meter that goes backwards adds nothing until it passes its previous
highest reading again (a high-water mark), so energy is never negative and a
glitch is never billed twice. A stretch where the energy does not increase is
PARKING_TIME (connected, not charging), otherwise it is charging TIME.

Pure and deterministic: no clock, no I/O (it runs inside Temporal workflows).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import Invalid
from domain.tariff import Tariff, to_decimal

ZERO = Decimal(0)
_US = timedelta(microseconds=1)


def utc(value: datetime | str, what: str = "timestamp") -> datetime:
    """A tz-aware UTC datetime; OCPI DateTime strings without an offset are UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{what}: not an RFC 3339 timestamp: {value!r}") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid(f"{what}: must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"time_zone: unknown IANA time zone {time_zone!r}") from None


@dataclass(frozen=True)
class MeterSample:
    """One register reading: cumulative energy in Wh, optionally the power at that moment."""

    at: datetime
    energy_wh: int
    power_w: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", utc(self.at, "MeterSample.at"))
        for name in ("energy_wh", "power_w"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise Invalid(f"MeterSample.{name}: must be an int, got {value!r}")


@dataclass(frozen=True)
class SessionFacts:
    """What was measured of one session; `samples` include the start and stop readings."""

    start: datetime
    stop: datetime
    time_zone: str
    samples: tuple[MeterSample, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start, "start"))
        object.__setattr__(self, "stop", utc(self.stop, "stop"))
        if self.stop < self.start:
            raise Invalid(f"stop {self.stop} is before start {self.start}")
        zone(self.time_zone)
        # Chargers resend and reorder meter values (DOMAIN.md §9): order by time.
        object.__setattr__(self, "samples", tuple(sorted(self.samples, key=lambda s: s.at)))


_POWER_DIMENSIONS = {"MIN_POWER": "min_power_kw", "MAX_POWER": "max_power_kw",
                     "MIN_CURRENT": "min_current_a", "MAX_CURRENT": "max_current_a"}
_VOLUME_DIMENSIONS = {"ENERGY": "energy_kwh", "TIME": "time_hours",
                      "PARKING_TIME": "parking_hours"}


@dataclass(frozen=True)
class ChargingPeriod:
    """mod_cdrs §ChargingPeriod: a start and the dimensions measured until the next start."""

    start_date_time: datetime
    energy_kwh: Decimal = ZERO
    time_hours: Decimal = ZERO  # charging
    parking_hours: Decimal = ZERO  # connected, not charging
    min_power_kw: Decimal | None = None
    max_power_kw: Decimal | None = None
    min_current_a: Decimal | None = None
    max_current_a: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_date_time", utc(self.start_date_time, "start_date_time"))
        for name in (*_VOLUME_DIMENSIONS.values(), *_POWER_DIMENSIONS.values()):
            value = getattr(self, name)
            if value is not None:
                value = to_decimal(value, name)
                if value < 0:
                    raise Invalid(f"{name}: must not be negative (got {value})")
                object.__setattr__(self, name, value)

    @classmethod
    def from_ocpi(cls, d: dict) -> ChargingPeriod:
        if not isinstance(d, dict) or "start_date_time" not in d:
            raise Invalid("charging period: needs start_date_time and dimensions")
        values: dict[str, Any] = {}
        for dim in d.get("dimensions") or []:
            if not isinstance(dim, dict) or "volume" not in dim:
                raise Invalid(f"charging period: not a CdrDimension: {dim!r}")
            kind, volume = dim.get("type"), dim["volume"]
            name = _VOLUME_DIMENSIONS.get(kind) or _POWER_DIMENSIONS.get(kind)
            if kind == "RESERVATION_TIME":
                continue  # reservations are not priced by this engine (see pricing.py)
            if name is None:
                raise Invalid(f"charging period: unknown dimension type {kind!r}")
            if name in values:
                raise Invalid(f"charging period: dimension {kind} given twice")
            values[name] = volume
        return cls(d["start_date_time"], **values)

    def to_ocpi(self) -> dict:
        dims = [{"type": kind, "volume": format(getattr(self, name), "f")}
                for kind, name in (*_VOLUME_DIMENSIONS.items(), *_POWER_DIMENSIONS.items())
                if getattr(self, name) is not None and (kind not in _VOLUME_DIMENSIONS
                                                        or getattr(self, name) > 0)]
        return {"start_date_time": self.start_date_time.isoformat().replace("+00:00", "Z"),
                "dimensions": dims}


class _Register:
    """Cumulative session energy as a piecewise-linear, non-decreasing function of time."""

    def __init__(self, samples: tuple[MeterSample, ...]) -> None:
        by_time: dict[datetime, MeterSample] = {}
        for s in samples:  # duplicates at one instant: keep the highest reading
            if s.at not in by_time or s.energy_wh > by_time[s.at].energy_wh:
                by_time[s.at] = s
        self.samples = [by_time[t] for t in sorted(by_time)]
        self.times = [s.at for s in self.samples]
        self.cumulative: list[int] = []
        total, highest = 0, None
        for s in self.samples:
            if highest is not None and s.energy_wh > highest:
                total += s.energy_wh - highest  # high-water mark: backwards adds nothing
            highest = s.energy_wh if highest is None else max(highest, s.energy_wh)
            self.cumulative.append(total)

    def segment(self, at: datetime) -> int | None:
        """Index i of the sample segment [i, i+1] that holds `at` (None outside the samples)."""
        i = bisect.bisect_right(self.times, at) - 1
        return i if 0 <= i < len(self.times) - 1 else None

    def exact(self, at: datetime) -> Fraction:
        if not self.times:
            return Fraction(0)
        if at <= self.times[0]:
            return Fraction(self.cumulative[0])
        i = self.segment(at)
        if i is None:
            return Fraction(self.cumulative[-1])
        t0, t1 = self.times[i], self.times[i + 1]
        rise = self.cumulative[i + 1] - self.cumulative[i]
        return self.cumulative[i] + Fraction(rise * ((at - t0) // _US), (t1 - t0) // _US)

    def wh(self, at: datetime) -> int:
        return round(self.exact(at))  # half to even; cumulative, so periods add up exactly

    def reaching(self, target: Fraction) -> datetime | None:
        """The first instant at which the cumulative energy reaches `target` Wh."""
        for i in range(len(self.times) - 1):
            lo, hi = self.cumulative[i], self.cumulative[i + 1]
            if lo < target <= hi:
                span = (self.times[i + 1] - self.times[i]) // _US
                return self.times[i] + _US * math.ceil((target - lo) * span / (hi - lo))
        return None

    def power_kw(self, i: int | None) -> Decimal:
        """Power over segment i: the charger's reading at its start, else the average."""
        if i is None or self.cumulative[i + 1] == self.cumulative[i]:
            return ZERO
        if self.samples[i].power_w is not None:
            return Decimal(self.samples[i].power_w) / 1000
        seconds = Decimal((self.times[i + 1] - self.times[i]) // _US) / 1_000_000
        return Decimal(self.cumulative[i + 1] - self.cumulative[i]) * 3600 / seconds / 1000


def cut_into_periods(facts: SessionFacts, tariff: Tariff) -> tuple[ChargingPeriod, ...]:
    """The session as charging periods, cut at every boundary any restriction could have."""
    register = _Register(facts.samples)
    cuts = {facts.start, facts.stop, *register.times}
    cuts |= _local_time_cuts(facts, tariff)
    limits = [r for e in tariff.elements if (r := e.restrictions) is not None]
    for seconds in {s for r in limits for s in (r.min_duration, r.max_duration) if s is not None}:
        cuts.add(facts.start + timedelta(seconds=seconds))
    at_start = register.exact(facts.start)
    for kwh in {k for r in limits for k in (r.min_kwh, r.max_kwh) if k is not None}:
        reached = register.reaching(at_start + Fraction(kwh) * 1000)
        if reached is not None:
            cuts.add(reached)
    points = sorted(c for c in cuts if facts.start <= c <= facts.stop)
    periods = []
    for a, b in zip(points, points[1:], strict=False):
        segment = register.segment(a)
        energy = register.wh(b) - register.wh(a)
        hours = Decimal((b - a) // _US) / 3_600_000_000
        charging = segment is not None and (
            register.cumulative[segment + 1] > register.cumulative[segment])
        power = register.power_kw(segment)
        periods.append(ChargingPeriod(
            a, energy_kwh=Decimal(energy) / 1000,
            time_hours=hours if charging else ZERO, parking_hours=ZERO if charging else hours,
            min_power_kw=power, max_power_kw=power))
    return tuple(periods)


def _local_time_cuts(facts: SessionFacts, tariff: Tariff) -> set[datetime]:
    """Instants where the local wall clock passes a restriction's time or midnight.

    Each wall time is taken on both sides of a DST fold (it happens twice when the
    clocks go back), and each DST transition itself is a cut (a wall time that is
    skipped when the clocks go forward is passed at the transition).
    """
    tz = zone(facts.time_zone)
    times = {time(0, 0)}
    for element in tariff.elements:
        if (r := element.restrictions) is not None:
            times |= {t for t in (r.start_time, r.end_time) if t is not None}
    first = facts.start.astimezone(tz).date() - timedelta(days=1)
    last = facts.stop.astimezone(tz).date() + timedelta(days=1)
    cuts: set[datetime] = set()
    day = first
    while day <= last:
        for t in times:
            for fold in (0, 1):
                cuts.add(datetime.combine(day, t, tzinfo=tz).replace(fold=fold).astimezone(UTC))
        cuts |= _transitions(tz, day)
        day += timedelta(days=1)
    return cuts


def _transitions(tz: ZoneInfo, day: date) -> set[datetime]:
    """The UTC instant(s) on a local day where the zone's UTC offset changes (bisection)."""
    lo = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    hi = lo + timedelta(hours=26)
    offset = lo.astimezone(tz).utcoffset()
    if hi.astimezone(tz).utcoffset() == offset:
        return set()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid -= timedelta(microseconds=mid.microsecond)
        if mid.astimezone(tz).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return {hi}
