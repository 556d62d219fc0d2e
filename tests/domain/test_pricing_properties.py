"""Properties of the pricing engine that must hold for any tariff and any meter data."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.charging_periods import cut_into_periods
from domain.pricing import MeterSample, SessionFacts, price_charging_periods, price_session
from domain.tariff import DAYS, PriceComponent, Tariff, TariffElement, TariffRestrictions

ZONES = ["Europe/Amsterdam", "UTC", "America/New_York", "Australia/Lord_Howe"]
# Starts near DST changes in Europe/Amsterdam and America/New_York, and anywhere else.
STARTS = st.one_of(
    st.sampled_from([datetime(2026, 10, 24, 20, tzinfo=UTC), datetime(2026, 3, 28, 21, tzinfo=UTC),
                     datetime(2026, 11, 1, 3, tzinfo=UTC), datetime(2026, 3, 8, 4, tzinfo=UTC)]),
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                 timezones=st.just(UTC)))

prices = st.decimals(min_value=0, max_value=5, places=4)
steps = st.sampled_from([1, 7, 60, 100, 300, 500, 900, 1000])
hhmm = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def restrictions(draw) -> TariffRestrictions | None:
    kw: dict = {}
    if draw(st.booleans()):
        start, end = draw(hhmm), draw(hhmm)
        if start != end:
            kw |= {"start_time": start, "end_time": end}
    if draw(st.booleans()):
        kw["day_of_week"] = tuple(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=4,
                                                unique=True)))
    for low, high, top in (("min_kwh", "max_kwh", 40), ("min_duration", "max_duration", 20_000),
                           ("min_power", "max_power", 50)):
        if draw(st.booleans()):
            kw[low] = draw(st.integers(0, top))
        if draw(st.booleans()):
            kw[high] = kw.get(low, 0) + draw(st.integers(1, top))
    return TariffRestrictions(**kw) if kw else None


@st.composite
def tariffs(draw) -> Tariff:
    elements = draw(st.lists(st.builds(
        TariffElement,
        st.lists(st.builds(PriceComponent,
                           st.sampled_from(["ENERGY", "FLAT", "TIME", "PARKING_TIME"]),
                           prices, steps), min_size=1, max_size=4).map(tuple),
        restrictions()), min_size=1, max_size=5))
    low = draw(st.one_of(st.none(), prices))
    high = draw(st.one_of(st.none(), prices))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Tariff("EUR", tuple(elements), low, high)


@st.composite
def sessions(draw, monotone: bool = False) -> SessionFacts:
    """Meter samples every 1 s-4 h; readings may go backwards unless `monotone`."""
    start = draw(STARTS)
    at, wh = start, draw(st.integers(0, 10**7))
    samples = [MeterSample(at, wh)]
    for _ in range(draw(st.integers(0, 8))):
        at += timedelta(seconds=draw(st.integers(1, 4 * 3600)))
        wh += draw(st.integers(0 if monotone else -5_000, 30_000))
        samples.append(MeterSample(at, wh, draw(st.one_of(st.none(), st.integers(0, 50_000)))))
    return SessionFacts(start, at, draw(st.sampled_from(ZONES)), tuple(samples))


@settings(max_examples=300, deadline=None)
@given(tariffs(), sessions())
def test_a_price_is_never_negative(tariff, facts):
    priced = price_session(tariff, facts)
    assert priced.total_excl_vat >= 0
    assert priced.total_cents >= 0
    assert priced.energy_wh >= 0
    for line in priced.dimensions:
        assert line.amount >= 0
        assert line.billed_quantity >= line.quantity >= 0
    if tariff.min_price is not None:
        assert priced.total_excl_vat >= tariff.min_price
    if tariff.max_price is not None:
        assert priced.total_excl_vat <= tariff.max_price


@settings(max_examples=200, deadline=None)
@given(tariffs(), sessions())
def test_the_charging_periods_of_a_session_add_up_and_price_the_same_as_a_cdr(tariff, facts):
    periods = cut_into_periods(facts, tariff)
    priced = price_session(tariff, facts)
    # Whatever the cuts, the energy is what the meter rose above its highest reading,
    # and the periods cover the session exactly.
    highest, rise = None, 0
    for s in facts.samples:
        if highest is not None and s.energy_wh > highest:
            rise += s.energy_wh - highest
        highest = s.energy_wh if highest is None else max(highest, s.energy_wh)
    assert priced.energy_wh == rise
    seconds = (facts.stop - facts.start).total_seconds()
    assert abs(priced.charging_seconds + priced.parking_seconds - seconds) <= 1
    assert price_charging_periods(tariff, facts.start, periods, facts.time_zone) == priced


plain_tariffs = st.builds(
    lambda price, step, flat: Tariff("EUR", (TariffElement(
        (PriceComponent("ENERGY", price, step),) + ((PriceComponent("FLAT", flat),) if flat
                                                    is not None else ())),),),
    prices, steps, st.one_of(st.none(), prices))


@settings(max_examples=200, deadline=None)
@given(plain_tariffs, st.integers(0, 200_000), st.integers(0, 200_000), STARTS)
def test_more_energy_never_costs_less_on_an_energy_tariff(tariff, wh1, wh2, start):
    low, high = sorted((wh1, wh2))

    def price(wh: int) -> D:
        stop = start + timedelta(hours=3)
        facts = SessionFacts(start, stop, "Europe/Amsterdam",
                             (MeterSample(start, 0), MeterSample(stop, wh)))
        return price_session(tariff, facts).total_excl_vat

    assert price(low) <= price(high)


@settings(max_examples=200, deadline=None)
@given(plain_tariffs, sessions(monotone=True), st.data())
def test_adding_interpolated_samples_does_not_change_a_per_kwh_price(tariff, facts, data):
    finer = list(facts.samples)
    for a, b in zip(facts.samples, facts.samples[1:], strict=False):
        span = (b.at - a.at) // timedelta(seconds=1)
        if span < 2:
            continue
        offset = data.draw(st.integers(1, span - 1))
        # The reading a meter would have shown there: linear, whole Wh.
        wh = a.energy_wh + (b.energy_wh - a.energy_wh) * offset // span
        finer.append(MeterSample(a.at + timedelta(seconds=offset), wh))
    refined = SessionFacts(facts.start, facts.stop, facts.time_zone, tuple(finer))
    assert price_session(tariff, refined).total_excl_vat == price_session(
        tariff, facts).total_excl_vat
