"""Split payout, subscriptions and kickback, to the cent (DOMAIN.md §5–7, SCENARIOS.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import Category
from domain.split import SessionSplit, kickback_cents, split_session, subscription_fee_cents
from tests.domain.helpers import split_sessions

COMPENSATION = Decimal("0.30")  # Acme
JAN_COMPENSATION = Decimal("0.28")  # Jan's home electricity price
VOLT_FEE = Decimal("0.05")  # VoltPartners' roaming fee


def test_home_session_with_company_card_is_reimbursed_to_employee():  # S1
    split = split_session(Category.REIMBURSED, 18_250, 0, JAN_COMPENSATION, VOLT_FEE)
    assert split == SessionSplit(
        Category.REIMBURSED, main_org_invoiced_cents=511, employee_payout_cents=511
    )


def test_roaming_session_at_the_depot_splits_between_owner_partner_and_platform():  # S2
    # consumer tariff 24 kWh x 0.39 + 0.35 = 9.71 (priced by the tariff engine)
    split = split_session(Category.ROAMING, 24_000, 971, COMPENSATION, VOLT_FEE)
    assert split == SessionSplit(
        Category.ROAMING,
        emsp_billed_cents=971,
        owner_compensation_cents=720,
        partner_fee_cents=120,
        platform_margin_cents=131,
        negative_margin=False,
    )


def test_whitelisted_session_at_the_depot_moves_no_money():  # S3
    assert split_session(Category.FREE, 10_000, 0, COMPENSATION, VOLT_FEE) == SessionSplit(
        Category.FREE
    )


def test_roaming_components_are_rounded_half_up_and_margin_is_the_remainder():  # S4
    # 10.5 kWh x 0.45 = 4.725 -> 4.73; fee 0.525 -> 0.53; margin 4.73 - 3.15 - 0.53
    split = split_session(Category.ROAMING, 10_500, 473, COMPENSATION, VOLT_FEE)
    assert (
        split.emsp_billed_cents,
        split.owner_compensation_cents,
        split.partner_fee_cents,
        split.platform_margin_cents,
    ) == (473, 315, 53, 105)


def test_rejected_session_is_never_billed():  # S5
    split = split_session(Category.REJECTED, 0, 0, COMPENSATION, VOLT_FEE)
    assert split.total_owed_cents == split.total_distributed_cents == 0


def test_negative_platform_margin_is_flagged_not_clamped():
    # an owner compensated more per kWh than the consumer tariff brings in
    split = split_session(Category.ROAMING, 20_000, 500, Decimal("0.30"), VOLT_FEE)
    assert split.platform_margin_cents == 500 - 600 - 100
    assert split.negative_margin
    assert split.total_owed_cents == split.total_distributed_cents


def test_roaming_session_without_energy_keeps_the_start_fee_as_margin():
    split = split_session(Category.ROAMING, 0, 35, COMPENSATION, VOLT_FEE)
    assert (split.owner_compensation_cents, split.platform_margin_cents) == (0, 35)


def test_category_may_be_given_as_its_stored_string():
    assert split_session("reimbursed", 1_000, 0, JAN_COMPENSATION, VOLT_FEE).category is (
        Category.REIMBURSED
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((Category.ROAMING, 1000.0, 0, COMPENSATION, VOLT_FEE), TypeError),
        ((Category.ROAMING, 1000, 0, 0.30, VOLT_FEE), TypeError),
        ((Category.ROAMING, 1000, 0, COMPENSATION, 0.05), TypeError),
        ((Category.ROAMING, 1000, Decimal("9.71"), COMPENSATION, VOLT_FEE), TypeError),
        ((Category.ROAMING, -1, 0, COMPENSATION, VOLT_FEE), ValueError),
        ((Category.ROAMING, 1000, 0, Decimal("-0.30"), VOLT_FEE), ValueError),
        ((Category.ROAMING, 1000, 0, Decimal("NaN"), VOLT_FEE), ValueError),
    ],
)
def test_split_refuses_floats_and_negative_inputs(args, error):
    with pytest.raises(error):
        split_session(*args)


def test_home_charger_subscription_is_pro_rata_from_first_connection():
    # SCENARIOS: plan Home 7.95, billable 11-31 October = 21 of 31 days -> 5.3855 -> 5.39
    assert subscription_fee_cents(795, 21, 31) == 539
    assert subscription_fee_cents(Decimal("7.95"), 21, 31) == 539


def test_full_month_subscription_is_the_plan_fee():
    assert subscription_fee_cents(1250, 31, 31) == 1250
    assert subscription_fee_cents(Decimal("12.50"), 28, 28) == 1250
    assert subscription_fee_cents(1250, 0, 30) == 0


@pytest.mark.parametrize(
    ("fee", "days", "month"), [(795, 32, 31), (795, -1, 31), (795, 10, 27), (7.95, 10, 31)]
)
def test_subscription_refuses_impossible_days_and_floats(fee, days, month):
    with pytest.raises((ValueError, TypeError)):
        subscription_fee_cents(fee, days, month)


def test_partner_kickback_is_a_percentage_of_subscriptions_half_up():
    # SCENARIOS: 20 % x 30.39 = 6.078 -> 6.08
    assert kickback_cents(3039, Decimal("20")) == 608
    assert kickback_cents(0, Decimal("20")) == 0
    assert kickback_cents(2, Decimal("25")) == 1  # 0.5 cent rounds up


def test_acme_october_subscriptions_add_up_to_the_invoice():
    lines = [
        subscription_fee_cents(Decimal("12.50"), 31, 31),
        subscription_fee_cents(Decimal("12.50"), 31, 31),
        subscription_fee_cents(Decimal("7.95"), 21, 31),
    ]
    assert sum(lines) == 3039
    assert kickback_cents(sum(lines), Decimal("20")) == 608


@given(st.lists(split_sessions, max_size=30))
def test_money_owed_equals_money_distributed_over_any_sessions(splits):
    owed = sum(s.emsp_billed_cents + s.main_org_invoiced_cents for s in splits)
    paid_out = sum(s.owner_compensation_cents + s.employee_payout_cents for s in splits)
    partner_fees = sum(s.partner_fee_cents for s in splits)
    margin = sum(s.platform_margin_cents for s in splits)
    assert owed == paid_out + partner_fees + margin
    for s in splits:
        assert s.negative_margin is (s.platform_margin_cents < 0)
        if s.category in (Category.FREE, Category.REJECTED):
            assert s == SessionSplit(s.category)


@given(
    energy_wh=st.integers(0, 500_000),
    rate=st.decimals("0", "2", places=4),
)
def test_each_component_is_within_half_a_cent_of_the_exact_amount(energy_wh, rate):
    split = split_session(Category.REIMBURSED, energy_wh, 0, rate, Decimal(0))
    exact = Decimal(energy_wh) / 1000 * rate * 100
    assert abs(split.employee_payout_cents - exact) <= Decimal("0.5")


def test_split_rebuilt_from_stored_values_has_a_category_enum():
    split = SessionSplit("roaming", emsp_billed_cents=971, platform_margin_cents=971)
    assert split.category is Category.ROAMING
