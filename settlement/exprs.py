"""The money rules of `domain/` as reusable polars expressions, on `Int64`
integers only (cents, Wh, days, basis points): no float ever touches money.

* `half_up_div(n, d)`: n / d rounded half away from zero — `domain.money.round_half_up`
  on integers (d > 0);
* `pro_rata(fee, days, days_in_month)`: `domain.subscriptions.pro_rata_cents`;
* `percent_of(base, basis_points)`: a percentage of cents, rounded once (kickback);
* `vat(net, basis_points)`: `domain.money.vat_cents` (VAT per rate on a net total);
* `local_date(instant, zone)`: the platform-zone date of a UTC instant;
* `billable_first_day` / `billable_last_day` / `billable_days`: DOMAIN.md §6.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = [
    "billable_days",
    "billable_first_day",
    "billable_last_day",
    "half_up_div",
    "local_date",
    "percent_of",
    "pro_rata",
    "vat",
]

IntoExpr = pl.Expr | int


def _expr(value: IntoExpr) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(value, dtype=pl.Int64)


def half_up_div(numerator: IntoExpr, denominator: IntoExpr) -> pl.Expr:
    """Integer division rounded half away from zero (denominator > 0)."""
    n, d = _expr(numerator), _expr(denominator)
    q = (n.abs() * 2 + d) // (d * 2)
    return pl.when(n < 0).then(-q).otherwise(q)


def pro_rata(monthly_fee_cents: IntoExpr, days: IntoExpr, days_in_month: IntoExpr) -> pl.Expr:
    """fee × days / days in month, half up, once per line (7.95 × 21/31 → 5.39)."""
    return half_up_div(_expr(monthly_fee_cents) * _expr(days), days_in_month)


def percent_of(base_cents: IntoExpr, basis_points: IntoExpr) -> pl.Expr:
    """base × percent, half up, with the percent in basis points (20 % = 2000)."""
    return half_up_div(_expr(base_cents) * _expr(basis_points), 10_000)


def vat(net_cents: IntoExpr, rate_basis_points: IntoExpr) -> pl.Expr:
    """VAT on a net total of one rate, half up (DOMAIN.md §7)."""
    return percent_of(net_cents, rate_basis_points)


def local_date(instant: pl.Expr, time_zone: str) -> pl.Expr:
    """The calendar date of a UTC instant in the platform's zone."""
    return instant.dt.convert_time_zone(time_zone).dt.date()


def billable_first_day(first_connected_on: pl.Expr, period_first: date) -> pl.Expr:
    """From the day of first connection (included), not before the month."""
    return pl.max_horizontal(first_connected_on, pl.lit(period_first))


def billable_last_day(billing_ended_on: pl.Expr, period_last: date) -> pl.Expr:
    """Until the day before removal (the removal day is not billed)."""
    return pl.min_horizontal(
        (billing_ended_on - pl.duration(days=1)).fill_null(pl.lit(period_last)),
        pl.lit(period_last),
    )


def billable_days(first_day: pl.Expr, last_day: pl.Expr) -> pl.Expr:
    """Days from first to last, both included; 0 when the span is empty. A
    charging point never connected (null first day) has none."""
    days = (last_day - first_day).dt.total_days() + 1
    return pl.when(days > 0).then(days).otherwise(0).fill_null(0).cast(pl.Int64)
