"""Subscriptions (DOMAIN.md §6): every charging point has a plan with a monthly
fee excl. VAT, billed to the main organization pro rata by the days the charging
point was billable in the month.

Billable days (SCENARIOS.md, November): from the day it was first connected
(energized), that day included; until the day it was removed or deactivated for
billing (`billing_ended_at`), that day excluded. A charging point that is only
pre-approved (never connected) is never billable. Days are calendar days in the
platform's time zone.

Pro rata: `fee × billable days / days in month`, rounded half up once per line
(domain/money.py), so 7.95 × 21 / 31 = 5.3855 → 5.39.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain.money import round_half_up
from domain.periods import Period, local_date

__all__ = ["billable_days", "billable_range", "pro_rata_cents"]


def billable_range(
    period: Period, first_connected_on: date | None, billing_ended_on: date | None
) -> tuple[date, date] | None:
    """The first and last billable day of `period` (both included), or None when
    the charging point was not billable at all in it."""
    if first_connected_on is None:
        return None  # pre-approved only: not billable (DOMAIN.md §6)
    first = max(period.first_day, first_connected_on)
    last = period.last_day
    if billing_ended_on is not None:
        last = min(last, date.fromordinal(billing_ended_on.toordinal() - 1))
    return (first, last) if first <= last else None


def billable_days(
    period: Period, first_connected_on: date | None, billing_ended_on: date | None
) -> int:
    """How many days of `period` the charging point was billable."""
    span = billable_range(period, first_connected_on, billing_ended_on)
    return 0 if span is None else (span[1] - span[0]).days + 1


def billable_days_between(
    period: Period,
    first_connected_at: datetime | None,
    billing_ended_at: datetime | None,
    time_zone: str,
) -> int:
    """Billable days from the stored instants, read as dates in `time_zone`."""
    first = None if first_connected_at is None else local_date(first_connected_at, time_zone)
    ended = None if billing_ended_at is None else local_date(billing_ended_at, time_zone)
    return billable_days(period, first, ended)


def pro_rata_cents(monthly_fee_cents: int, days: int, days_in_month: int) -> int:
    """The fee for `days` of a month of `days_in_month` days, rounded once, half up."""
    if not 0 <= days <= days_in_month:
        raise ValueError(f"billable days {days} outside 0..{days_in_month}")
    if days == days_in_month:
        return monthly_fee_cents
    return round_half_up(Decimal(monthly_fee_cents * days) / Decimal(days_in_month))
