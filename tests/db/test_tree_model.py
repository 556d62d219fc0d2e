"""Bad input to the model is refused with a clear error, by the service layer and,
when bypassed, by the database itself (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db import tree_service as tree
from db.base import transaction
from db.demo import load_demo_data, ocpi_tariff
from db.models import ChargingPoint, Location, Organization, PlatformSettings
from domain.charger_secrets import verify_charger_secret
from domain.enums import AccessMode, ChargingPointState


@pytest.fixture
def two_customers(session_factory):
    with transaction(session_factory) as s:
        ids = {}
        for name in ("A", "B"):
            customer = tree.create_customer(s, name=name)
            rate = tree.create_rate(
                s, name=f"{name} rate", customer_id=customer.id,
                tariff=ocpi_tariff(name, energy="0.30"), compensation_per_kwh="0.20",
            )
            org = tree.create_organization(s, customer_id=customer.id, name=f"{name} B.V.",
                                           rate_id=rate.id)
            loc = tree.create_location(s, organization_id=org.id, name=f"{name} site",
                                       access_mode=AccessMode.OPEN)
            ids[name] = (customer.id, org.id, loc.id, rate.id)
    return ids


def test_charging_point_under_another_customers_location_is_refused(session_factory,
                                                                    two_customers):
    a_customer, _, _, _ = two_customers["A"]
    _, _, b_location, _ = two_customers["B"]
    with transaction(session_factory) as s, pytest.raises(tree.TreeError, match="another customer"):
        tree.add_charging_point(s, customer_id=a_customer, location_id=b_location,
                                ocpp_id="X-1", password="secret")


def test_database_refuses_a_charging_point_whose_customer_differs_from_its_location(
    session_factory, two_customers
):
    a_customer, _, _, _ = two_customers["A"]
    _, _, b_location, _ = two_customers["B"]
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(ChargingPoint(ocpp_id="X-2", customer_id=a_customer, location_id=b_location,
                            state=ChargingPointState.PRE_APPROVED))


def test_database_refuses_a_location_under_another_customers_organization(
    session_factory, two_customers
):
    a_customer, _, _, _ = two_customers["A"]
    _, b_org, _, _ = two_customers["B"]
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(Location(customer_id=a_customer, organization_id=b_org, name="sneaky",
                       access_mode=AccessMode.OPEN))


def test_suborganization_of_another_customer_is_refused(session_factory, two_customers):
    a_customer, _, _, _ = two_customers["A"]
    _, b_org, _, _ = two_customers["B"]
    with transaction(session_factory) as s, pytest.raises(tree.TreeError, match="another customer"):
        tree.create_organization(s, customer_id=a_customer, parent_id=b_org, name="x",
                                 rate_inherited=True)
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(Organization(customer_id=a_customer, parent_id=b_org, name="x",
                           rate_inherited=True))


def test_duplicate_ocpp_id_is_refused(session_factory, two_customers):
    _, _, a_location, _ = two_customers["A"]
    _, _, b_location, _ = two_customers["B"]
    with transaction(session_factory) as s:
        tree.add_charging_point(s, location_id=a_location, ocpp_id="DUP-1", password="secret")
    refused = pytest.raises(tree.TreeError, match="already registered")
    with transaction(session_factory) as s, refused:
        tree.add_charging_point(s, location_id=b_location, ocpp_id="DUP-1", password="secret")
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(ChargingPoint(ocpp_id="DUP-1", state=ChargingPointState.PENDING))


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("compensation_per_kwh", {"tariff": ocpi_tariff("t", energy="0.30"),
                                  "compensation_per_kwh": "-0.01"}),
        ("tariff", {"tariff": ocpi_tariff("t", energy="-0.30"), "compensation_per_kwh": "0.1"}),
        ("tariff", {"tariff": ocpi_tariff("t", energy="0.30", flat="-1"),
                    "compensation_per_kwh": "0.1"}),
    ],
)
def test_negative_price_is_refused(session_factory, field, kwargs):
    with transaction(session_factory) as s, pytest.raises(tree.TreeError, match="negative|invalid"):
        tree.create_rate(s, name="bad", **kwargs)


def test_negative_partner_fee_and_float_money_are_refused(session_factory):
    with transaction(session_factory) as s:
        with pytest.raises(tree.TreeError, match="negative"):
            tree.create_partner(s, name="P", roaming_fee_per_kwh="-0.05")
        with pytest.raises(tree.TreeError, match="float"):
            tree.create_partner(s, name="P", roaming_fee_per_kwh=0.05)
        with pytest.raises(tree.TreeError, match="between 0 and 100"):
            tree.create_partner(s, name="P", subscription_kickback_percent="120")


def test_pre_approved_charging_point_reserves_its_ocpp_id_with_its_own_password(
    session_factory, two_customers
):
    _, _, a_location, _ = two_customers["A"]
    with transaction(session_factory) as s:
        cp = tree.add_charging_point(s, location_id=a_location, ocpp_id="PRE-1", password="s3cret",
                                     connectors=2)
        cp_id = cp.id
    with session_factory() as s:
        cp = s.get(ChargingPoint, cp_id)
        assert cp.state == ChargingPointState.PRE_APPROVED
        assert cp.first_connected_at is None  # not billable until energized (DOMAIN.md §6)
        assert [c.number for c in cp.connectors] == [1, 2]
        # A charger password is a machine secret: salted HMAC (domain.charger_secrets).
        assert cp.password_hash != "s3cret"
        assert verify_charger_secret(cp.password_hash, "s3cret")
        assert not verify_charger_secret(cp.password_hash, "wrong")


def test_demo_data_loads_once_and_rates_round_trip_exactly(session_factory):
    assert load_demo_data(session_factory, password="pw") is True
    assert load_demo_data(session_factory, password="pw") is False
    with session_factory() as s:
        assert s.scalar(select(PlatformSettings.name)) == "Energy Cloud"
        cp = s.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == "ACME-DEPOT-02"))
        assert str(cp.rate.compensation_per_kwh) == "0.30"
        assert cp.rate.tariff["elements"][0]["price_components"][0]["type"] == "ENERGY"
