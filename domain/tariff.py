"""Consumer tariffs modelled on the OCPI 2.2.1 Tariffs module (mod_tariffs), DOMAIN.md §3.

Only what pricing needs is modelled: elements of price components with their
restrictions, and the tariff's `min_price` / `max_price`. Prices are excl. VAT
(OCPI's `Price.excl_vat`); VAT is platform data (DOMAIN.md §3), so a component's
OCPI `vat` is kept only so a tariff survives a round trip through `to_ocpi`.

Every value is validated when an object is built, so a `Tariff` that exists can
be priced. `Tariff.from_ocpi` raises `TariffError` (a `ValueError`) naming the
offending field (field checks in `domain.tariff_fields`).
Numbers arrive as JSON numbers or strings and become `Decimal` via `str()`, so no
float arithmetic ever touches a price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, time
from decimal import Decimal
from typing import Any

from domain.tariff_fields import (
    DAYS,
    DIMENSIONS,
    RESERVATION_TYPES,
    TariffError,
    calendar_day,
    check_keys,
    nest,
    non_negative,
    parse_list,
    time_of_day,
    to_decimal,
    whole_number,
)

# Re-exported: callers import these from domain.tariff.
__all__ = [
    "DAYS",
    "PriceComponent",
    "Tariff",
    "TariffElement",
    "TariffError",
    "TariffRestrictions",
    "to_decimal",
]


@dataclass(frozen=True)
class PriceComponent:
    """mod_tariffs §PriceComponent: price per unit excl. VAT (kWh, hour, or per session)."""

    type: str
    price: Decimal
    step_size: int = 1  # ENERGY: Wh; TIME / PARKING_TIME: seconds; FLAT: unused
    vat: Decimal | None = None  # informational only (DOMAIN.md §3: VAT is platform data)

    def __post_init__(self) -> None:
        if self.type not in DIMENSIONS:
            raise TariffError(f"type: unknown price component type {self.type!r}, "
                             f"expected one of {', '.join(DIMENSIONS)}")
        object.__setattr__(self, "price", non_negative(self.price, "price"))
        step = whole_number(self.step_size, "step_size")
        if step < 1:
            raise TariffError(f"step_size: must be a whole number >= 1 (got {self.step_size})")
        object.__setattr__(self, "step_size", step)
        if self.vat is not None:
            object.__setattr__(self, "vat", non_negative(self.vat, "vat"))

    @classmethod
    def from_ocpi(cls, d: dict) -> PriceComponent:
        check_keys(d, {"type", "price", "vat", "step_size"})
        for key in ("type", "price", "step_size"):
            if key not in d:
                raise TariffError(f"{key}: required")
        return cls(d["type"], d["price"], d["step_size"], d.get("vat"))

    def to_ocpi(self, as_numbers: bool = False) -> dict:
        out: dict[str, Any] = {"type": self.type, "price": _out(self.price, as_numbers),
                               "step_size": self.step_size}
        if self.vat is not None:
            out["vat"] = _out(self.vat, as_numbers)
        return out


def _out(value: Decimal, as_numbers: bool) -> Decimal | str:
    return value if as_numbers else format(value, "f")  # "10", never "1E+1"


_NUMBER_LIMITS = ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power")


@dataclass(frozen=True)
class TariffRestrictions:
    """mod_tariffs §TariffRestrictions: when an element is active during a session.

    Times and dates are local to the location's time zone. Lower bounds are
    inclusive and upper bounds exclusive (the spec says so for durations and dates;
    we read kWh, power and current the same way). A start_time later than end_time
    is a window across midnight (22:00-06:00).
    """

    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None  # seconds of session duration, inclusive
    max_duration: int | None = None  # seconds of session duration, exclusive
    day_of_week: tuple[str, ...] = ()
    reservation: str | None = None

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in ("start_time", "end_time"):
            if getattr(self, name) is not None:
                put(name, time_of_day(getattr(self, name), name))
        if self.start_time is not None and self.start_time == self.end_time:
            raise TariffError("start_time and end_time are equal: leave both out for all day")
        for name in ("start_date", "end_date"):
            if getattr(self, name) is not None:
                put(name, calendar_day(getattr(self, name), name))
        for name in _NUMBER_LIMITS:
            if getattr(self, name) is not None:
                put(name, non_negative(getattr(self, name), name))
        for name in ("min_duration", "max_duration"):
            if getattr(self, name) is not None:
                put(name, whole_number(non_negative(getattr(self, name), name), name))
        for low, high in (("start_date", "end_date"), ("min_kwh", "max_kwh"),
                          ("min_current", "max_current"), ("min_power", "max_power"),
                          ("min_duration", "max_duration")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo >= hi:
                raise TariffError(f"{low} must be before {high} (got {lo} and {hi})")
        if not isinstance(self.day_of_week, (list, tuple)):
            raise TariffError("day_of_week: must be a list of day names")
        for day in self.day_of_week:
            if day not in DAYS:
                raise TariffError(f"day_of_week: unknown day {day!r}, expected one of "
                                 f"{', '.join(DAYS)}")
        put("day_of_week", tuple(self.day_of_week))
        if self.reservation is not None and self.reservation not in RESERVATION_TYPES:
            raise TariffError(f"reservation: unknown value {self.reservation!r}")

    @classmethod
    def from_ocpi(cls, d: dict) -> TariffRestrictions:
        names = {f.name for f in fields(cls)}
        check_keys(d, names)
        return cls(**{k: v for k, v in d.items() if v is not None})

    def to_ocpi(self, as_numbers: bool = False) -> dict:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            if isinstance(value, time):
                value = value.strftime("%H:%M")
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = _out(value, as_numbers)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


@dataclass(frozen=True)
class TariffElement:
    """mod_tariffs §TariffElement: price components active while the restrictions hold."""

    price_components: tuple[PriceComponent, ...]
    restrictions: TariffRestrictions | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_components", tuple(self.price_components))
        if not self.price_components:
            raise TariffError("price_components: at least one is required")

    def component(self, dimension: str) -> PriceComponent | None:
        """The element's component for a dimension (the first, should there be two)."""
        return next((c for c in self.price_components if c.type == dimension), None)

    @classmethod
    def from_ocpi(cls, d: dict) -> TariffElement:
        check_keys(d, {"price_components", "restrictions"})
        components = parse_list(d.get("price_components"), "price_components",
                                PriceComponent.from_ocpi)
        restrictions = None
        if d.get("restrictions") is not None:
            try:
                restrictions = TariffRestrictions.from_ocpi(d["restrictions"])
            except ValueError as exc:
                raise nest("restrictions", exc) from None
        return cls(tuple(components), restrictions)

    def to_ocpi(self, as_numbers: bool = False) -> dict:
        out: dict[str, Any] = {
            "price_components": [c.to_ocpi(as_numbers) for c in self.price_components]}
        if self.restrictions is not None:
            out["restrictions"] = self.restrictions.to_ocpi(as_numbers)
        return out


@dataclass(frozen=True)
class Tariff:
    """mod_tariffs §Tariff object: elements in priority order, plus price limits excl. VAT."""

    currency: str
    elements: tuple[TariffElement, ...]
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.currency, str) or not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise TariffError(f"currency: not an ISO 4217 code: {self.currency!r}")
        object.__setattr__(self, "elements", tuple(self.elements))
        if not self.elements:
            raise TariffError("elements: at least one tariff element is required")
        for name in ("min_price", "max_price"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, non_negative(getattr(self, name), name))
        if (self.min_price is not None and self.max_price is not None
                and self.min_price > self.max_price):
            raise TariffError(f"min_price {self.min_price} exceeds max_price {self.max_price}")

    @classmethod
    def from_ocpi(cls, d: dict) -> Tariff:
        """Parse an OCPI 2.2.1 Tariff object; other Tariff fields (party, texts...) are ignored."""
        if not isinstance(d, dict):
            raise TariffError(f"tariff: must be a JSON object, got {type(d).__name__}")
        if "currency" not in d:
            raise TariffError("currency: required")
        elements = parse_list(d.get("elements"), "elements", TariffElement.from_ocpi)
        return cls(d["currency"], tuple(elements), _price(d.get("min_price"), "min_price"),
                   _price(d.get("max_price"), "max_price"), d.get("id"))

    def to_ocpi(self, as_numbers: bool = False) -> dict:
        """The OCPI JSON shape. Numbers are strings (exact, JSON-safe) unless `as_numbers`,
        which leaves `Decimal`s for an encoder that writes them as JSON numbers."""
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["currency"] = self.currency
        for name in ("min_price", "max_price"):
            if getattr(self, name) is not None:
                out[name] = {"excl_vat": _out(getattr(self, name), as_numbers)}
        out["elements"] = [e.to_ocpi(as_numbers) for e in self.elements]
        return out

    @classmethod
    def simple(cls, *, currency: str = "EUR", energy_per_kwh: Decimal,
               flat: Decimal | None = None, time_per_hour: Decimal | None = None,
               parking_per_hour: Decimal | None = None) -> Tariff:
        """One unrestricted element; every dimension billed per 1 Wh / 1 second."""
        components = [PriceComponent("FLAT", flat)] if flat is not None else []
        components.append(PriceComponent("ENERGY", energy_per_kwh))
        if time_per_hour is not None:
            components.append(PriceComponent("TIME", time_per_hour))
        if parking_per_hour is not None:
            components.append(PriceComponent("PARKING_TIME", parking_per_hour))
        return cls(currency, (TariffElement(tuple(components)),))


def _price(value: Any, what: str) -> Decimal | None:
    """An OCPI Price object (`excl_vat` is what we bill on) or, leniently, a bare number."""
    if value is None:
        return None
    if isinstance(value, dict):
        if "excl_vat" not in value:
            raise TariffError(f"{what}.excl_vat: required")
        return non_negative(value["excl_vat"], f"{what}.excl_vat")
    return non_negative(value, what)
