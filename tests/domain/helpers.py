"""Shared pieces of the domain tests (no tests of their own): Hypothesis
strategies for the domain's values."""

from __future__ import annotations

from hypothesis import strategies as st

from domain.enums import Category
from domain.split import split_session

# Any session's money split: every category, up to 500 kWh and EUR 500 charged,
# compensation up to EUR 2/kWh and a roaming fee up to EUR 0.50/kWh.
split_sessions = st.builds(
    split_session,
    category=st.sampled_from(Category),
    energy_wh=st.integers(0, 500_000),
    consumer_price_cents=st.integers(0, 50_000),
    compensation_per_kwh=st.decimals("0", "2", places=4),
    roaming_fee_per_kwh=st.decimals("0", "0.5", places=4),
)
