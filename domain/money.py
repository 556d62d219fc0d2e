"""Money: integer minor units (cents) plus a currency, and the one rounding rule.

DOMAIN.md §7: amounts are integer cents wherever money is stored or summed;
per-unit prices are `Decimal`; exact `Decimal` amounts are rounded once to cents,
half up, when a session is settled; VAT is computed on a document's net total per
rate, half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from domain.errors import Invalid

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Round an exact amount in major units to integer cents, half up (away from zero)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return round_half_up(amount / CENT)


def parse_decimal(value: str | int | Decimal) -> Decimal:
    """A per-unit price from its text form; floats are refused (they are not exact)."""
    if isinstance(value, float):
        raise TypeError("prices must be given as strings or Decimal, never float")
    result = Decimal(value)
    if not result.is_finite():
        raise Invalid(f"not a finite number: {value!r}")
    return result


def vat_cents(net_cents: int, rate: Decimal) -> int:
    """VAT on a net total, half up (DOMAIN.md §7: per document and rate)."""
    return round_half_up(Decimal(net_cents) * rate / 100)


def round_half_up(value: Decimal) -> int:
    """Round a Decimal number of minor units to an int, half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int, currency: str = "EUR") -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{currency} {whole}.{frac:02d}"


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount of money: integer cents and an ISO 4217 currency."""

    cents: int
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError(f"Money.cents must be int, not {type(self.cents).__name__}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise Invalid(f"not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str = "EUR") -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal, currency: str = "EUR") -> Money:
        return cls(to_cents(amount), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise Invalid(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def as_decimal(self) -> Decimal:
        return Decimal(self.cents) * CENT

    def __str__(self) -> str:
        return format_cents(self.cents, self.currency)
