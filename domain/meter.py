"""The energy register rule (DOMAIN.md §9: duplicate, late and out-of-order
messages are normal input): a charger's energy register only counts up, so a
reading below the one before it went backwards. Such a reading is kept and
flagged for review, never priced, and never moves a session's energy down.

The OCPP ingest (flagging stored readings), the session workflow (the live
reading) and the pricing activity (the priced timeline) all ask this module."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.pricing import MeterSample


def went_backwards(reading_wh: int, previous_wh: int | None) -> bool:
    """True when a register reading is below the reading before it (none: fine)."""
    return previous_wh is not None and reading_wh < previous_wh


@dataclass(frozen=True)
class Timeline:
    """The readings a session is priced on, start and stop included, and the flags
    for what had to be corrected."""

    samples: tuple[MeterSample, ...]
    stopped_at: datetime
    flags: tuple[str, ...] = ()


def priced_timeline(
    *,
    started_at: datetime,
    stopped_at: datetime,
    meter_start_wh: int,
    meter_stop_wh: int,
    readings: Iterable[MeterSample],
) -> Timeline:
    """Start reading, the stored readings strictly inside the session in time order
    (those that went backwards left out), stop reading. A stop before the start
    is priced as zero time; a stop reading below the last reading is raised to
    it, so negative energy is never priced."""
    flags: list[str] = []
    if stopped_at < started_at:
        flags.append("stop_before_start")
        stopped_at = started_at
    samples = [MeterSample(at=started_at, energy_wh=meter_start_wh)]
    for reading in readings:
        if started_at < reading.at < stopped_at and not went_backwards(
            reading.energy_wh, samples[-1].energy_wh
        ):
            samples.append(reading)
    stop_wh = meter_stop_wh
    if went_backwards(stop_wh, samples[-1].energy_wh):
        flags.append("meter_went_backwards")
        stop_wh = samples[-1].energy_wh
    samples.append(MeterSample(at=stopped_at, energy_wh=stop_wh))
    return Timeline(samples=tuple(samples), stopped_at=stopped_at, flags=tuple(flags))
