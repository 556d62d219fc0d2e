"""Settlement periods (DOMAIN.md §8): a period is a calendar month in the
platform's time zone, written `YYYY-MM`, and a session belongs to the month in
which it *ended*, in that zone (a session ending 31 October 23:30 in Amsterdam is
October's even though it is 1 November in some other zone's reckoning).

Pure: the time zone comes in as a value (platform settings are data), no clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Period", "parse_period", "period_of"]

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month; `str(period)` is `2026-10`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, not {self.month}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        """Days in the month: the denominator of pro rata subscriptions (DOMAIN.md §6)."""
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def next_first_day(self) -> date:
        return self.last_day + timedelta(days=1)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds_utc(self, time_zone: str) -> tuple[datetime, datetime]:
        """[start, end) of the month in `time_zone`, as UTC instants: the filter on
        session end times."""
        zone = ZoneInfo(time_zone)
        start = datetime.combine(self.first_day, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.next_first_day, time(0), zone).astimezone(UTC)
        return start, end

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def parse_period(text: str) -> Period:
    """`2026-10` → Period(2026, 10); anything else is refused with a sentence."""
    match = _PERIOD.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"a period is written YYYY-MM (e.g. 2026-10), not {text!r}")
    return Period(int(match.group(1)), int(match.group(2)))


def local_date(instant: datetime, time_zone: str) -> date:
    """The calendar date of an instant in `time_zone` (a naive instant is refused)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: settlement needs timezone-aware instants")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def period_of(ended_at: datetime, time_zone: str) -> Period:
    """The period a session belongs to: the month of its end, in the platform's zone."""
    day = local_date(ended_at, time_zone)
    return Period(day.year, day.month)
