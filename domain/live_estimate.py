"""A running cost estimate for display while a session is active.

Only the session's energy so far and the start fee of the tariff's first
element count: time-of-use, time and parking components need the full meter
timeline, which the settled price (domain.pricing) uses."""

from __future__ import annotations

from decimal import Decimal

from domain.money import to_cents


def estimate_cents(tariff: dict, energy_wh: int) -> int:
    total = Decimal(0)
    energy_seen = flat_seen = False
    for element in tariff.get("elements", []):
        for component in element.get("price_components", []):
            price = Decimal(str(component["price"]))
            if component["type"] == "ENERGY" and not energy_seen:
                total += price * Decimal(energy_wh) / 1000
                energy_seen = True
            elif component["type"] == "FLAT" and not flat_seen:
                total += price
                flat_seen = True
    return to_cents(total)
