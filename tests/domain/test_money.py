from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import Money, to_cents, vat_cents


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("4.725", 473),  # SCENARIOS S4: 10.5 kWh x 0.45 rounds half up
        ("0.525", 53),  # SCENARIOS S4 roaming fee
        ("5.3855", 539),  # SCENARIOS pro-rata home subscription
        ("6.078", 608),  # SCENARIOS kickback
        ("0.004999", 0),
        ("0.005", 1),
        ("-0.005", -1),  # half up means away from zero for credits too
        ("0.029", 3),  # OCPI example sub-cent amount
    ],
)
def test_amounts_round_once_to_cents_half_up(amount, cents):
    assert to_cents(Decimal(amount)) == cents


def test_vat_is_computed_on_net_total_half_up():
    # SCENARIOS: Acme subscriptions net 30.39 -> 21 % = 6.3819 -> 6.38
    assert vat_cents(3039, Decimal("21")) == 638
    # ShellRecharge 14.44 -> 3.0324 -> 3.03
    assert vat_cents(1444, Decimal("21")) == 303


def test_float_money_is_refused():
    with pytest.raises(TypeError):
        to_cents(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]


def test_mixing_currencies_is_refused():
    with pytest.raises(ValueError):
        Money(100, "EUR") + Money(100, "USD")


@given(st.integers(-10**12, 10**12), st.integers(-10**12, 10**12))
def test_money_addition_is_exact(a, b):
    assert (Money(a) + Money(b)).cents == a + b
    assert (Money(a) - Money(b) + Money(b)).cents == a
