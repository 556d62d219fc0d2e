"""The field-level checks of the OCPI tariff model (`domain.tariff`): exact
numbers, local times and dates, strict JSON objects, and the `TariffError` that
names the offending field."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from domain.errors import Invalid

DIMENSIONS = ("ENERGY", "FLAT", "TIME", "PARKING_TIME")  # mod_tariffs §TariffDimensionType
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RESERVATION_TYPES = ("RESERVATION", "RESERVATION_EXPIRES")  # §ReservationRestrictionType

# Regexes from mod_tariffs §TariffRestrictions class.
TIME_RE = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")
DATE_RE = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


def to_decimal(value: Any, what: str) -> Decimal:
    """A JSON number or string as an exact Decimal (floats via their shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise TariffError(f"{what}: not a number: {value!r}")
    try:
        result = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        raise TariffError(f"{what}: not a number: {value!r}") from None
    if not result.is_finite():
        raise TariffError(f"{what}: not a finite number: {value!r}")
    return result


def non_negative(value: Any, what: str) -> Decimal:
    result = to_decimal(value, what)
    if result < 0:
        raise TariffError(f"{what}: must not be negative (got {value})")
    return result


def whole_number(value: Any, what: str) -> int:
    number = to_decimal(value, what)
    if number != number.to_integral_value():
        raise TariffError(f"{what}: must be a whole number (got {value})")
    return int(number)


def time_of_day(value: Any, what: str) -> time:
    if isinstance(value, time):
        if value.second or value.microsecond or value.tzinfo:
            raise TariffError(f"{what}: must be a local HH:MM time (got {value})")
        return value
    if not isinstance(value, str) or not TIME_RE.fullmatch(value):
        raise TariffError(f"{what}: must be 'HH:MM' in 24h format, e.g. '07:30' (got {value!r})")
    return time(int(value[:2]), int(value[3:]))


def calendar_day(value: Any, what: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise TariffError(f"{what}: must be 'YYYY-MM-DD' (got {value!r})")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TariffError(f"{what}: no such date: {value!r}") from None


class TariffError(Invalid):
    """A tariff that is not valid OCPI 2.2.1; the sentence names the field."""

    code = "tariff.invalid"


class ObjectError(TariffError):
    """A problem with a whole JSON object rather than with one of its fields."""


def nest(prefix: str, exc: ValueError) -> ValueError:
    """The error of a nested object, prefixed with where it sits ("elements[2].price")."""
    return TariffError(f"{prefix}{': ' if isinstance(exc, ObjectError) else '.'}{exc}")


def check_keys(d: Any, allowed: set[str]) -> dict:
    if not isinstance(d, dict):
        raise ObjectError(f"must be a JSON object, got {type(d).__name__}")
    unknown = sorted(set(d) - allowed)
    if unknown:
        # Strict on purpose: a misspelt key (e.g. `tariff_restrictions`) would otherwise
        # silently turn a restricted element into an unrestricted one.
        raise ObjectError(f"unknown field(s) {', '.join(unknown)}")
    return d


def parse_list(raw: Any, what: str, parse) -> tuple:
    """Each item of a JSON list parsed; an error names the item (`elements[2].price`)."""
    if not isinstance(raw, list):
        raise TariffError(f"{what}: must be a list")
    items = []
    for i, item in enumerate(raw):
        try:
            items.append(parse(item))
        except ValueError as exc:
            raise nest(f"{what}[{i}]", exc) from None
    return tuple(items)
