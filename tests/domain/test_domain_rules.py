"""Business rules that live once in domain/: the energy register only counts up,
the tree never mixes customers, and the live estimate reads the tariff model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.live_estimate import estimate_cents
from domain.meter import priced_timeline, went_backwards
from domain.pricing import MeterSample
from domain.tariff import Tariff
from domain.tree_rules import belongs_to_customer

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_a_reading_below_the_previous_one_went_backwards():
    assert went_backwards(999, 1000)
    assert not went_backwards(1000, 1000)
    assert not went_backwards(1001, 1000)
    assert not went_backwards(5, None)  # nothing before it


def test_the_priced_timeline_skips_backward_readings_and_never_prices_negative_energy():
    readings = [
        MeterSample(at=T0 + timedelta(minutes=10), energy_wh=2000),
        MeterSample(at=T0 + timedelta(minutes=20), energy_wh=1500),  # went backwards
        MeterSample(at=T0 + timedelta(minutes=30), energy_wh=3000),
        MeterSample(at=T0 + timedelta(hours=5), energy_wh=9000),  # after the stop
    ]
    timeline = priced_timeline(
        started_at=T0, stopped_at=T0 + timedelta(hours=1), meter_start_wh=1000,
        meter_stop_wh=2500, readings=readings,
    )
    assert [s.energy_wh for s in timeline.samples] == [1000, 2000, 3000, 3000]
    assert timeline.flags == ("meter_went_backwards",)


def test_a_stop_before_the_start_is_priced_as_zero_time():
    timeline = priced_timeline(
        started_at=T0, stopped_at=T0 - timedelta(minutes=5), meter_start_wh=10,
        meter_stop_wh=20, readings=[],
    )
    assert timeline.stopped_at == T0
    assert timeline.flags == ("stop_before_start",)
    assert [s.energy_wh for s in timeline.samples] == [10, 20]


def test_rows_of_one_customer_never_attach_to_another():
    assert belongs_to_customer(7, 7)
    assert not belongs_to_customer(7, 8)
    assert not belongs_to_customer(7, None)  # e.g. a pending charger without a customer
    assert not belongs_to_customer(None, 7)  # a platform user holding a customer's card
    assert belongs_to_customer(None, 7, unowned_is_shared=True)  # a platform rate


def test_the_live_estimate_counts_energy_and_the_start_fee_from_the_tariff_model():
    tariff = Tariff.from_ocpi({
        "currency": "EUR",
        "elements": [
            {"price_components": [
                {"type": "ENERGY", "price": "0.35", "step_size": 1},
                {"type": "FLAT", "price": "0.50", "step_size": 1},
                {"type": "TIME", "price": "2.00", "step_size": 60},
            ]},
            {"price_components": [{"type": "ENERGY", "price": "9.99", "step_size": 1}]},
        ],
    })
    # 12.345 kWh x 0.35 = 4.32075, + 0.50 = 4.82075 -> 482 cents (half up, once)
    assert estimate_cents(tariff, 12_345) == 482
