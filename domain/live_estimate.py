"""A running cost estimate for display while a session is active.

Only the session's energy so far and the start fee of the tariff's first
element count: time-of-use, time and parking components need the full meter
timeline, which the settled price (domain.pricing) uses. It reads the tariff
through `domain.tariff`, the one tariff reader."""

from __future__ import annotations

from decimal import Decimal

from domain.money import to_cents
from domain.tariff import Tariff

WH_PER_KWH = 1000


def estimate_cents(tariff: Tariff, energy_wh: int) -> int:
    total = Decimal(0)
    energy_seen = flat_seen = False
    for element in tariff.elements:
        for component in element.price_components:
            if component.type == "ENERGY" and not energy_seen:
                total += component.price * Decimal(energy_wh) / WH_PER_KWH
                energy_seen = True
            elif component.type == "FLAT" and not flat_seen:
                total += component.price
                flat_seen = True
    return to_cents(total)
