"""Pricing measured sessions (SessionFacts -> charging periods -> PricedSession).

Every expected amount is worked out by hand in the comment next to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from domain.charging_periods import cut_into_periods
from domain.pricing import MeterSample, PricedSession, SessionFacts, price_session
from domain.tariff import PriceComponent, Tariff, TariffElement, TariffRestrictions

AMS = "Europe/Amsterdam"
MIN = timedelta(minutes=1)


def local(text: str, tz: str = AMS) -> datetime:
    """A wall-clock time at the location (never inside a DST fold in these tests)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def session(start: datetime, readings: list[tuple[int, int]], tz: str = AMS,
            powers: dict[int, int] | None = None) -> SessionFacts:
    """readings: (minutes after start, cumulative Wh); the last one is the stop."""
    powers = powers or {}
    samples = tuple(MeterSample(start + m * MIN, wh, powers.get(m)) for m, wh in readings)
    return SessionFacts(start, start + readings[-1][0] * MIN, tz, samples)


def tariff(*elements: tuple[list[tuple[str, str, int]], dict | None], **limits) -> Tariff:
    """elements: ([(type, price, step_size), ...], restrictions or None), in priority order."""
    return Tariff("EUR", tuple(
        TariffElement(tuple(PriceComponent(t, D(p), s) for t, p, s in components),
                      TariffRestrictions(**r) if r else None)
        for components, r in elements), **{k: D(v) for k, v in limits.items()})


def lines(priced: PricedSession) -> dict[tuple[str, str], tuple[D, D, D]]:
    """(type, price) -> (quantity, billed quantity, amount), normalised for comparison."""
    return {(d.type, str(d.price.normalize())): (d.quantity, d.billed_quantity, d.amount)
            for d in priced.dimensions}


# --- plain per-kWh tariffs --------------------------------------------------------------

@pytest.mark.parametrize(("per_kwh", "flat", "wh", "total", "cents"), [
    ("0.39", "0.35", 24_000, "9.71", 971),  # 24 kWh x 0.39 = 9.36, + 0.35 start = 9.71
    ("0.45", None, 10_500, "4.725", 473),  # 10.5 x 0.45 = 4.725 -> 472.5 cents -> 473 (half up)
    ("0.2345", None, 1_001, "0.2347345", 23),  # 1.001 x 0.2345 = 0.2347345 -> 23.47 c -> 23
    ("0.25", "0", 0, "0", 0),  # nothing charged, free start
])
def test_plain_per_kwh_tariff(per_kwh, flat, wh, total, cents):
    t = Tariff.simple(energy_per_kwh=D(per_kwh), flat=D(flat) if flat else None)
    start = local("2026-03-02T18:00")
    priced = price_session(t, session(start, [(0, 50_000), (180, 50_000 + wh)]))
    assert priced.total_excl_vat == D(total)
    assert priced.total_cents == cents
    assert priced.energy_wh == wh
    assert priced.currency == "EUR"


def test_vat_is_computed_on_the_rounded_net_total():
    t = Tariff.simple(energy_per_kwh=D("0.39"), flat=D("0.35"))
    priced = price_session(t, session(local("2026-03-02T18:00"), [(0, 0), (60, 24_000)]))
    assert priced.total_cents == 971
    assert priced.vat_cents(D(21)) == 204  # 971 x 21 % = 203.91 -> 204
    assert priced.vat_cents(D(9)) == 87  # 971 x 9 % = 87.39 -> 87


def test_start_fee_energy_and_charging_time():
    t = Tariff.simple(energy_per_kwh=D("0.30"), flat=D("1.00"), time_per_hour=D("2.00"))
    # 90 minutes charging 15 kWh:
    # 1.00 start + 15 x 0.30 = 4.50 + 1.5 h x 2.00 = 3.00  ->  8.50
    priced = price_session(t, session(local("2026-03-02T09:00"), [(0, 0), (90, 15_000)]))
    assert lines(priced) == {("FLAT", "1"): (1, 1, D("1.00")),
                             ("ENERGY", "0.3"): (15, 15, D("4.50")),
                             ("TIME", "2"): (D("1.5"), D("1.5"), D("3.00"))}
    assert priced.total_excl_vat == D("8.50")
    assert (priced.charging_seconds, priced.parking_seconds) == (5400, 0)


# --- parking ----------------------------------------------------------------------------

def test_parking_time_after_charging_stops():
    t = Tariff.simple(energy_per_kwh=D("0.30"), time_per_hour=D("1.00"),
                      parking_per_hour=D("3.00"))
    # Charges 11 kWh in the first hour, then the meter stays flat for 40 minutes.
    # 11 x 0.30 = 3.30; TIME 1 h x 1.00 = 1.00; PARKING 40 min = 2/3 h x 3.00 = 2.00 -> 6.30
    priced = price_session(t, session(local("2026-03-02T09:00"),
                                      [(0, 1_000), (60, 12_000), (100, 12_000)]))
    assert (priced.charging_seconds, priced.parking_seconds) == (3600, 2400)
    assert priced.amount("PARKING_TIME") == D("2.00")
    assert priced.total_excl_vat == D("6.30")


def test_a_pause_in_the_middle_of_a_session_is_parking_too():
    t = Tariff.simple(energy_per_kwh=D("0"), time_per_hour=D("1.20"), parking_per_hour=D("6"))
    # 30 min charging, 20 min flat meter, 30 min charging:
    # TIME 1 h x 1.20 = 1.20; PARKING 20 min = 1/3 h x 6 = 2.00 -> 3.20
    priced = price_session(t, session(local("2026-03-02T09:00"),
                                      [(0, 0), (30, 3_000), (50, 3_000), (80, 6_000)]))
    assert (priced.charging_seconds, priced.parking_seconds) == (3600, 1200)
    assert priced.total_excl_vat == D("3.20")


# --- time of use across midnight and DST (Europe/Amsterdam) -----------------------------

# Off-peak 22:00-06:00 (crosses midnight) listed first, peak as the fallback.
TIME_OF_USE = tariff(([("ENERGY", "0.25", 1), ("TIME", "0.50", 1)],
                      {"start_time": "22:00", "end_time": "06:00"}),
                     ([("ENERGY", "0.40", 1), ("TIME", "1.00", 1)], None))


@pytest.mark.parametrize(("start_utc", "hours", "off_peak_h", "peak_h", "total"), [
    # An ordinary summer night: 20:00 CEST -> 08:00 CEST, 12 h at 2 kW = 24 kWh.
    # Off-peak 22:00-06:00 = 8 h (16 kWh), peak 2 h + 2 h = 4 h (8 kWh).
    # 16 x 0.25 = 4.00 + 8 x 0.40 = 3.20 + 8 h x 0.50 = 4.00 + 4 h x 1.00 = 4.00 -> 15.20
    ("2026-06-10T18:00", 12, 8, 4, "15.20"),
    # The night the clocks go back (2026-10-25, 03:00 CEST -> 02:00 CET; 25 hours long):
    # 20:00 CEST (18:00 UTC) -> 08:00 CET (07:00 UTC) is 13 h at 2 kW = 26 kWh.
    # Off-peak 22:00 CEST (20:00 UTC) -> 06:00 CET (05:00 UTC) = 9 h (18 kWh), not 8;
    # peak 2 h + 2 h = 4 h (8 kWh).
    # 18 x 0.25 = 4.50 + 8 x 0.40 = 3.20 + 9 h x 0.50 = 4.50 + 4 h x 1.00 = 4.00 -> 16.20
    ("2026-10-24T18:00", 13, 9, 4, "16.20"),
    # The night the clocks go forward (2026-03-29, 02:00 CET -> 03:00 CEST; 23 hours):
    # 20:00 CET (19:00 UTC) -> 08:00 CEST (06:00 UTC) is 11 h at 2 kW = 22 kWh.
    # Off-peak 22:00 CET (21:00 UTC) -> 06:00 CEST (04:00 UTC) = 7 h (14 kWh); peak 4 h (8 kWh).
    # 14 x 0.25 = 3.50 + 8 x 0.40 = 3.20 + 7 h x 0.50 = 3.50 + 4 h x 1.00 = 4.00 -> 14.20
    ("2026-03-28T19:00", 11, 7, 4, "14.20"),
])
def test_off_peak_window_across_midnight_and_dst(start_utc, hours, off_peak_h, peak_h, total):
    start = datetime.fromisoformat(start_utc).replace(tzinfo=UTC)
    priced = price_session(TIME_OF_USE, session(start, [(0, 0), (hours * 60, hours * 2_000)]))
    got = lines(priced)
    assert got[("TIME", "0.5")][0] == off_peak_h
    assert got[("TIME", "1")][0] == peak_h
    assert got[("ENERGY", "0.25")][0] == 2 * off_peak_h  # kWh at 2 kW
    assert got[("ENERGY", "0.4")][0] == 2 * peak_h
    assert priced.total_excl_vat == D(total)


def test_a_window_inside_the_repeated_hour_counts_both_passes_of_the_wall_clock():
    # Window 02:30-05:00 on 2026-10-25. The wall clock reads 02:30-03:00 twice:
    # 02:30-03:00 CEST (00:30-01:00 UTC) is in the window, 02:00-02:30 CET is not,
    # then 02:30-05:00 CET (01:30-04:00 UTC). In the window: 0.5 h + 2.5 h = 3 h.
    # Session 00:00 CEST (22:00 UTC) -> 06:00 CET (05:00 UTC), 7 h at 1 kW:
    # 3 kWh x 0.10 = 0.30 + 4 kWh x 0.30 = 1.20 -> 1.50
    t = tariff(([("ENERGY", "0.10", 1)], {"start_time": "02:30", "end_time": "05:00"}),
               ([("ENERGY", "0.30", 1)], None))
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    priced = price_session(t, session(start, [(0, 0), (420, 7_000)]))
    assert lines(priced)[("ENERGY", "0.1")][0] == 3
    assert priced.total_excl_vat == D("1.50")


def test_day_of_week_changes_at_local_midnight():
    # Weekend energy 0.20, weekdays 0.35. Friday 23:00 CET -> Saturday 01:00 CET, 2 kWh
    # linear: 1 kWh on Friday x 0.35 + 1 kWh on Saturday x 0.20 = 0.55.
    # (In UTC the whole session is on Friday, 22:00-24:00.)
    t = tariff(([("ENERGY", "0.20", 1)], {"day_of_week": ["SATURDAY", "SUNDAY"]}),
               ([("ENERGY", "0.35", 1)], None))
    priced = price_session(t, session(local("2026-01-09T23:00"), [(0, 0), (120, 2_000)]))
    assert priced.total_excl_vat == D("0.55")


def test_start_and_end_dates_are_local_and_end_date_is_exclusive():
    # A summer price valid 2026-07-01 up to (not including) 2026-07-02: 0.30, else 0.25.
    # 30 June 23:00 -> 2 July 01:00 local, 26 kWh at 1 kWh/h:
    # 1 kWh (30 June) x 0.25 + 24 kWh (1 July) x 0.30 + 1 kWh (2 July) x 0.25 = 7.70
    t = tariff(([("ENERGY", "0.30", 1)], {"start_date": "2026-07-01", "end_date": "2026-07-02"}),
               ([("ENERGY", "0.25", 1)], None))
    priced = price_session(t, session(local("2026-06-30T23:00"), [(0, 0), (26 * 60, 26_000)]))
    assert lines(priced)[("ENERGY", "0.3")][0] == 24
    assert priced.total_excl_vat == D("7.70")


# --- step_size --------------------------------------------------------------------------

def test_energy_step_of_1000_wh_and_time_step_of_300_seconds():
    # ENERGY 0.30 per kWh in steps of 1000 Wh; TIME 1.20 per hour in steps of 300 s.
    # 37 minutes, 10.2 kWh: energy billed 11 kWh x 0.30 = 3.30;
    # time billed 40 min = 2/3 h x 1.20 = 0.80.  Total 4.10.
    t = tariff(([("ENERGY", "0.30", 1000), ("TIME", "1.20", 300)], None))
    priced = price_session(t, session(local("2026-03-02T09:00"), [(0, 0), (37, 10_200)]))
    energy = lines(priced)[("ENERGY", "0.3")]
    assert energy == (D("10.2"), D(11), D("3.30"))
    assert lines(priced)[("TIME", "1.2")][2] == D("0.80")
    assert priced.total_excl_vat == D("4.10")


def test_step_size_rounds_the_session_total_and_bills_the_extra_at_the_last_price():
    # mod_cdrs §CDR object "step_size" energy example: 0.20/kWh before 17:00, 0.27 after,
    # both in steps of 500 Wh. 4.3 kWh before + 1.1 kWh after = 5.4 kWh -> 5.5 kWh total,
    # so 1.2 kWh after 17:00 (not 1.5): 4.3 x 0.20 = 0.86 + 1.2 x 0.27 = 0.324 -> 1.184
    t = tariff(([("ENERGY", "0.20", 500)], {"end_time": "17:00"}),
               ([("ENERGY", "0.27", 500)], None))
    priced = price_session(t, session(local("2026-03-02T16:00"),
                                      [(0, 0), (60, 4_300), (90, 5_400)]))
    assert lines(priced) == {("ENERGY", "0.2"): (D("4.3"), D("4.3"), D("0.86")),
                             ("ENERGY", "0.27"): (D("1.1"), D("1.2"), D("0.324"))}
    assert priced.total_excl_vat == D("1.184")


# --- restrictions on energy, duration and power -----------------------------------------

def test_min_and_max_kwh_split_the_energy_where_the_thresholds_are_reached():
    # 0.30 for the first 10 kWh, 0.25 from 10 to 20 kWh, 0.20 after that.
    # 25 kWh between two samples (linear): 10 x 0.30 = 3.00 + 10 x 0.25 = 2.50
    # + 5 x 0.20 = 1.00 -> 6.50
    t = tariff(([("ENERGY", "0.30", 1)], {"max_kwh": 10}),
               ([("ENERGY", "0.25", 1)], {"min_kwh": 10, "max_kwh": 20}),
               ([("ENERGY", "0.20", 1)], None))
    priced = price_session(t, session(local("2026-03-02T09:00"), [(0, 7_000), (150, 32_000)]))
    assert [d.quantity for d in priced.dimensions] == [10, 10, 5]
    assert priced.total_excl_vat == D("6.50")


def test_min_and_max_duration_count_from_the_start_of_the_session():
    # Charging time free for 30 min, 2.00/h until 90 min, 4.00/h after; 2 h charging,
    # then 30 min parking at 1.00/h only after 2 h of session (min_duration 7200).
    # TIME: 0.5 h free + 1 h x 2.00 = 2.00 + 0.5 h x 4.00 = 2.00; PARKING 0.5 h x 1.00 = 0.50
    # -> 4.50
    t = tariff(([("TIME", "0", 1)], {"max_duration": 1800}),
               ([("TIME", "2.00", 1)], {"min_duration": 1800, "max_duration": 5400}),
               ([("TIME", "4.00", 1)], None),
               ([("PARKING_TIME", "1.00", 1)], {"min_duration": 7200}))
    priced = price_session(t, session(local("2026-03-02T09:00"),
                                      [(0, 0), (120, 20_000), (150, 20_000)]))
    assert priced.total_excl_vat == D("4.50")


@pytest.mark.parametrize("with_reported_power", [True, False])
def test_min_and_max_power_follow_the_power_of_each_stretch(with_reported_power):
    # 0.50 at 20 kW or more, 0.35 from 10 up to 20 kW, 0.25 below.
    # 30 min at 22 kW = 11 kWh, 30 min at 11 kW = 5.5 kWh, 30 min at 3.7 kW = 1.85 kWh.
    # 11 x 0.50 = 5.50 + 5.5 x 0.35 = 1.925 + 1.85 x 0.25 = 0.4625 -> 7.8875 -> 789 cents.
    # The charger's power readings and the average from the register agree here.
    t = tariff(([("ENERGY", "0.50", 1)], {"min_power": 20}),
               ([("ENERGY", "0.35", 1)], {"min_power": 10, "max_power": 20}),
               ([("ENERGY", "0.25", 1)], None))
    powers = {0: 22_000, 30: 11_000, 60: 3_700} if with_reported_power else None
    facts = session(local("2026-03-02T09:00"),
                    [(0, 0), (30, 11_000), (60, 16_500), (90, 18_350)], powers=powers)
    priced = price_session(t, facts)
    assert priced.total_excl_vat == D("7.8875")
    assert priced.total_cents == 789


# --- the tariff's own limits ------------------------------------------------------------

@pytest.mark.parametrize(("wh", "before", "total", "min_applied", "max_applied"), [
    (2_000, "1.00", "1.50", True, False),  # 0.50 + 2 x 0.25 = 1.00 < min 1.50
    (30_000, "8.00", "8.00", False, False),  # 0.50 + 30 x 0.25 = 8.00
    (50_000, "13.00", "10.00", False, True),  # 0.50 + 50 x 0.25 = 13.00 > max 10.00
])
def test_tariff_min_and_max_price(wh, before, total, min_applied, max_applied):
    t = tariff(([("FLAT", "0.50", 1), ("ENERGY", "0.25", 1)], None),
               min_price="1.50", max_price="10.00")
    priced = price_session(t, session(local("2026-03-02T09:00"), [(0, 0), (300, wh)]))
    assert priced.total_before_limits == D(before)
    assert priced.total_excl_vat == D(total)
    assert (priced.min_price_applied, priced.max_price_applied) == (min_applied, max_applied)


# --- bad meter data ---------------------------------------------------------------------

def test_a_meter_going_backwards_never_produces_negative_energy():
    # 1000 -> 5000 (+4000) -> 3000 (glitch: +0) -> 6000 (+1000 above the 5000 already
    # counted) -> 4000 (+0). 5000 Wh x 0.30 = 1.50. Parking while the meter is not rising
    # above its highest reading: 40->60 min counts as charging again (6000 > 5000).
    t = Tariff.simple(energy_per_kwh=D("0.30"))
    facts = session(local("2026-03-02T09:00"),
                    [(0, 1_000), (30, 5_000), (40, 3_000), (60, 6_000), (90, 4_000)])
    priced = price_session(t, facts)
    assert priced.energy_wh == 5_000
    assert priced.total_excl_vat == D("1.50")
    assert all(p.energy_kwh >= 0 for p in cut_into_periods(facts, t))


def test_a_meter_that_only_goes_backwards_costs_only_parking():
    # 30 min of parking at 2.00/h = 1.00; no energy.
    t = Tariff.simple(energy_per_kwh=D("0.30"), parking_per_hour=D("2.00"))
    priced = price_session(t, session(local("2026-03-02T09:00"), [(0, 9_000), (30, 2_000)]))
    assert (priced.energy_wh, priced.parking_seconds) == (0, 1800)
    assert priced.total_excl_vat == D("1.00")


def test_duplicate_and_out_of_order_samples_are_tolerated():
    # The same readings as the plain 24 kWh session, resent and shuffled: 24 x 0.39 + 0.35.
    t = Tariff.simple(energy_per_kwh=D("0.39"), flat=D("0.35"))
    start = local("2026-03-02T18:00")
    samples = (MeterSample(start + 60 * MIN, 24_000), MeterSample(start, 0),
               MeterSample(start + 30 * MIN, 12_000), MeterSample(start + 60 * MIN, 24_000))
    priced = price_session(t, SessionFacts(start, start + 60 * MIN, AMS, samples))
    assert priced.total_excl_vat == D("9.71")


def test_a_session_without_samples_is_all_parking_and_still_pays_the_start_fee():
    t = Tariff.simple(energy_per_kwh=D("0.30"), flat=D("0.35"), parking_per_hour=D("1"))
    start = local("2026-03-02T18:00")
    # 0.35 + 0.5 h x 1.00 = 0.85
    priced = price_session(t, SessionFacts(start, start + 30 * MIN, AMS, ()))
    assert priced.total_excl_vat == D("0.85")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"time_zone": "Mars/Olympus"}, "unknown IANA time zone"),
    ({"stop": datetime(2026, 1, 1, tzinfo=UTC)}, "is before start"),
    ({"start": datetime(2026, 3, 2, 9)}, "timezone-aware"),
])
def test_invalid_session_facts_are_refused(kwargs, message):
    values = {"start": datetime(2026, 3, 2, 9, tzinfo=UTC),
              "stop": datetime(2026, 3, 2, 10, tzinfo=UTC), "time_zone": AMS, "samples": ()}
    with pytest.raises(ValueError, match=message):
        SessionFacts(**(values | kwargs))
