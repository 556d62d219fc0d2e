"""The OCPI 2.2.1 Tariff model: parsing, validation, round trips (domain/tariff.py)."""

from __future__ import annotations

import copy
import json
from datetime import date, time
from decimal import Decimal as D

import pytest

from domain.tariff import PriceComponent, Tariff, TariffElement, TariffRestrictions

# mod_tariffs §"Complex Tariff example" (examples/tariff_4_complex.json), with the
# Tariff fields this model does not keep (party, texts, last_updated...).
COMPLEX_JSON = """{
  "country_code": "DE", "party_id": "ALL", "id": "14", "currency": "EUR",
  "type": "REGULAR", "tariff_alt_url": "https://company.com/tariffs/14",
  "elements": [
    {"price_components": [{"type": "FLAT", "price": 2.50, "vat": 15.0, "step_size": 1}]},
    {"price_components": [{"type": "TIME", "price": 1.00, "vat": 20.0, "step_size": 900}],
     "restrictions": {"max_current": 32.00}},
    {"price_components": [{"type": "TIME", "price": 2.00, "vat": 20.0, "step_size": 600}],
     "restrictions": {"min_current": 32.00,
                      "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [{"type": "TIME", "price": 1.25, "vat": 20.0, "step_size": 600}],
     "restrictions": {"min_current": 32.00, "day_of_week": ["SATURDAY", "SUNDAY"]}},
    {"price_components": [{"type": "PARKING_TIME", "price": 5.00, "vat": 10.0, "step_size": 300}],
     "restrictions": {"start_time": "09:00", "end_time": "18:00",
                      "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [{"type": "PARKING_TIME", "price": 6.00, "vat": 10.0, "step_size": 300}],
     "restrictions": {"start_time": "10:00", "end_time": "17:00", "day_of_week": ["SATURDAY"]}}
  ],
  "min_price": {"excl_vat": 0.50, "incl_vat": 0.55},
  "last_updated": "2015-06-29T20:39:09Z"
}"""


def energy_only(price) -> dict:
    return {"currency": "EUR",
            "elements": [{"price_components": [{"type": "ENERGY", "price": price,
                                                "step_size": 1}]}]}


def test_json_numbers_become_exact_decimals_not_floats():
    tariff = Tariff.from_ocpi(json.loads(COMPLEX_JSON))
    flat, time_low = tariff.elements[0], tariff.elements[1]
    # json.loads gives the float 2.5; Decimal(str(2.5)) is exactly 2.5.
    assert flat.price_components[0] == PriceComponent("FLAT", D("2.5"), 1, D("15.0"))
    assert time_low.restrictions == TariffRestrictions(max_current=D("32.0"))
    assert tariff.min_price == D("0.5")  # Price.excl_vat; incl_vat is not kept
    assert tariff.id == "14"
    # 0.1 as a float is 0.1000000000000000055511151231257827...; the tariff keeps 0.1.
    assert Tariff.from_ocpi(energy_only(0.1)).elements[0].price_components[0].price == D("0.1")


def test_prices_may_be_strings():
    assert Tariff.from_ocpi(energy_only("0.2345")).elements[0].price_components[0].price == D(
        "0.2345")


def test_restrictions_are_parsed_into_times_dates_and_days():
    tariff = Tariff.from_ocpi(json.loads(COMPLEX_JSON))
    weekday_parking = tariff.elements[4].restrictions
    assert weekday_parking.start_time == time(9, 0)
    assert weekday_parking.end_time == time(18, 0)
    assert weekday_parking.day_of_week[0] == "MONDAY"
    dated = TariffRestrictions.from_ocpi({"start_date": "2026-07-01", "end_date": "2027-01-01",
                                          "min_duration": 1800, "max_kwh": 50})
    assert dated.start_date == date(2026, 7, 1)
    assert dated.min_duration == 1800
    assert dated.max_kwh == D(50)


def test_restriction_times_may_be_given_as_time_objects():
    assert TariffRestrictions(start_time=time(22, 0), end_time="06:00").end_time == time(6, 0)


@pytest.mark.parametrize("as_numbers", [False, True])
def test_to_ocpi_round_trips(as_numbers):
    tariff = Tariff.from_ocpi(json.loads(COMPLEX_JSON))
    assert Tariff.from_ocpi(tariff.to_ocpi(as_numbers=as_numbers)) == tariff


def test_to_ocpi_is_json_serialisable_with_prices_as_exact_strings():
    out = Tariff.from_ocpi(json.loads(COMPLEX_JSON)).to_ocpi()
    text = json.dumps(out)
    assert out["elements"][0]["price_components"][0]["price"] == "2.5"
    assert out["elements"][4]["restrictions"]["start_time"] == "09:00"
    assert out["min_price"] == {"excl_vat": "0.5"}
    assert Tariff.from_ocpi(json.loads(text)).to_ocpi() == out


def test_simple_tariff_has_one_unrestricted_element_billed_per_wh_and_second():
    tariff = Tariff.simple(energy_per_kwh=D("0.39"), flat=D("0.35"), time_per_hour=D("1"),
                           parking_per_hour=D("2"))
    assert tariff.currency == "EUR"
    assert tariff.elements == (TariffElement((
        PriceComponent("FLAT", D("0.35")), PriceComponent("ENERGY", D("0.39")),
        PriceComponent("TIME", D("1")), PriceComponent("PARKING_TIME", D("2")))),)
    assert Tariff.from_ocpi(tariff.to_ocpi()) == tariff


def _with(path: list, value) -> dict:
    """The complex example with one value replaced (or removed, for value=...)."""
    d = json.loads(COMPLEX_JSON)
    target = d
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


P0 = ["elements", 1, "price_components", 0]
R4 = ["elements", 4, "restrictions"]


@pytest.mark.parametrize(("document", "message"), [
    (_with([*P0, "price"], -0.5), "elements[1].price_components[0].price: must not be negative"),
    (_with([*P0, "price"], "abc"), "price: not a number"),
    (_with([*P0, "price"], "NaN"), "price: not a finite number"),
    (_with([*P0, "type"], "POWER"), "unknown price component type 'POWER'"),
    (_with([*P0, "step_size"], 0), "step_size: must be a whole number >= 1"),
    (_with([*P0, "step_size"], 1.5), "step_size: must be a whole number"),
    (_with([*P0, "step_size"], ...), "price_components[0].step_size: required"),
    (_with([*P0, "colour"], "red"), "elements[1].price_components[0]: unknown field(s) colour"),
    (_with([*R4, "start_time"], "9:00"), "elements[4].restrictions.start_time: must be 'HH:MM'"),
    (_with([*R4, "end_time"], "24:00"), "end_time: must be 'HH:MM'"),
    (_with([*R4, "end_time"], "09:00"), "start_time and end_time are equal"),
    (_with([*R4, "start_date"], "2026-02-30"), "start_date: no such date"),
    (_with([*R4, "day_of_week"], ["FUNDAY"]), "day_of_week: unknown day 'FUNDAY'"),
    (_with([*R4, "day_of_week"], "MONDAY"), "day_of_week: must be a list"),
    (_with([*R4, "min_kwh"], -1), "min_kwh: must not be negative"),
    (_with([*R4, "max_duration"], 60.5), "max_duration: must be a whole number"),
    (_with([*R4, "reservation"], "MAYBE"), "reservation: unknown value"),
    (_with(R4, {"min_kwh": 20, "max_kwh": 10}), "min_kwh must be before max_kwh"),
    # A misspelt key must not silently make a restricted element unrestricted.
    (_with(["elements", 4, "tariff_restrictions"], {"max_kwh": 1}),
     "elements[4]: unknown field(s) tariff_restrictions"),
    (_with(["elements", 2, "price_components"], []), "price_components: at least one"),
    (_with(["elements"], []), "elements: at least one tariff element"),
    (_with(["currency"], "eur"), "currency: not an ISO 4217 code"),
    (_with(["currency"], ...), "currency: required"),
    (_with(["max_price"], {"excl_vat": 0.25}), "min_price 0.5 exceeds max_price 0.25"),
    (_with(["min_price"], {"incl_vat": 1}), "min_price.excl_vat: required"),
])
def test_invalid_tariffs_are_refused_with_a_clear_message(document, message):
    with pytest.raises(ValueError) as excinfo:
        Tariff.from_ocpi(document)
    assert message in str(excinfo.value)


def test_the_parsed_document_is_not_modified():
    d = json.loads(COMPLEX_JSON)
    before = copy.deepcopy(d)
    Tariff.from_ocpi(d)
    assert d == before


def test_tariff_objects_are_immutable():
    tariff = Tariff.simple(energy_per_kwh=D("0.25"))
    with pytest.raises(AttributeError):
        tariff.currency = "USD"  # type: ignore[misc]
