"""Demo data: the world of ../shared/SCENARIOS.md, plus a second partner, a
public car park, an open charger and a charger pre-approved but not yet
connected, so every part of the mission can be seen after `make run`.

Every IBAN is a valid one (check digits), so the SEPA files validate.

Every demo login and every demo charger uses the demo password from settings
(each hashed on its own). Loading is idempotent: a second call does nothing."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import tree_service as tree
from db.base import transaction
from db.models import ChargingPoint, Customer, Location, Organization, PlatformSettings
from domain.enums import AccessMode, CardStatus, ChargingPointState, Role

log = logging.getLogger(__name__)


def ocpi_tariff(
    tariff_id: str,
    *,
    energy: str,
    flat: str | None = None,
    currency: str = "EUR",
) -> dict:
    """A one-element OCPI 2.2.1 tariff: a price per kWh and an optional start fee."""
    components = [{"type": "ENERGY", "price": energy, "step_size": 1}]
    if flat is not None:
        components.append({"type": "FLAT", "price": flat, "step_size": 1})
    return {"id": tariff_id, "currency": currency, "elements": [{"price_components": components}]}


def time_of_use_tariff(tariff_id: str) -> dict:
    """Peak 07:00–23:00, off-peak across midnight, and parking time once charging stops."""
    return {
        "id": tariff_id,
        "currency": "EUR",
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": "0.49", "step_size": 1}],
                "restrictions": {"start_time": "07:00", "end_time": "23:00"},
            },
            {"price_components": [{"type": "ENERGY", "price": "0.35", "step_size": 1}]},
            {"price_components": [{"type": "PARKING_TIME", "price": "2.00", "step_size": 300}]},
        ],
    }


# The chargers beyond SCENARIOS.md are billable from November 2026, so October
# 2026 settles to exactly the five documents of SCENARIOS.md.
EXTRAS_CONNECTED = "2026-11-01T00:00:00+01:00"


def bare_location(
    db: Session, *, customer: str, organization: str = "Main org", location: str = "Depot"
) -> Location:
    """A customer with one organization and one location and nothing else (no
    rates, no cards): somewhere to hang chargers for benches and tests."""
    owner = Customer(name=customer)
    db.add(owner)
    db.flush()
    org = Organization(customer_id=owner.id, name=organization)
    db.add(org)
    db.flush()
    place = Location(customer_id=owner.id, organization_id=org.id, name=location)
    db.add(place)
    db.flush()
    return place


def _dt(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _connected(cp: ChargingPoint, since: str) -> None:
    """A demo charger that has been onboarded (billable since `since`)."""
    cp.state = ChargingPointState.OFFLINE
    cp.first_connected_at = _dt(since)


def load_demo_data(session_factory, *, password: str = "demo") -> bool:
    """Load the demo world once. Returns False if it was already there."""
    with transaction(session_factory) as session:
        if session.scalar(select(PlatformSettings.id)) is not None:
            log.info("demo data already present; nothing loaded")
            return False
        _load(session, password)
    log.info("demo data loaded")
    return True


def _load(s: Session, pw: str) -> None:
    s.add(
        PlatformSettings(
            name="Energy Cloud",
            legal_name="Energy Cloud Operations B.V.",
            default_roaming_fee_per_kwh="0.04",
            vat_id="NL000000000B01",
            iban="NL91ABNA0417164300",
            support_email="support@energycloud.example",
            locale="nl_NL",
            sepa_creditor_id="NL69ZZZ123456780000",
        )
    )
    tree.create_user(s, email="admin@energycloud.example", name="Platform Admin",
                     role=Role.PLATFORM_ADMIN, password=pw)
    tree.create_user(s, email="finance@energycloud.example", name="Finance",
                     role=Role.PLATFORM_FINANCE, password=pw)

    business = tree.create_plan(s, name="Business", monthly_fee_cents=1250)
    home = tree.create_plan(s, name="Home", monthly_fee_cents=795)
    public = tree.create_plan(s, name="Public", monthly_fee_cents=1995)

    shell = tree.create_emsp(s, name="ShellRecharge", country_code="NL", party_id="TNM",
                             vat_id="NL812345678B01", billing_email="billing@shellrecharge.example")
    vattenfall = tree.create_emsp(s, name="Vattenfall InCharge", country_code="NL",
                                  party_id="NUO", billing_email="roaming@incharge.example")
    tree.register_public_token(s, emsp_id=shell.id, uid="NL-TNM-C00122045-K",
                               contract_id="NL-TNM-C00122045-K")
    tree.register_public_token(s, emsp_id=vattenfall.id, uid="NL-NUO-C12345678-X",
                               contract_id="NL-NUO-C12345678-X")
    tree.register_public_token(s, emsp_id=shell.id, uid="NL-TNM-C00999999-B",
                               contract_id="NL-TNM-C00999999-B", status=CardStatus.BLOCKED)

    # --- SCENARIOS.md: VoltPartners and Acme Logistics -------------------------
    volt = tree.create_partner(
        s, name="VoltPartners", display_name="VoltPartners Laadoplossingen",
        roaming_fee_per_kwh="0.05", subscription_kickback_percent="20",
        primary_color="#0b6e4f", secondary_color="#e8f5ee",
        support_email="support@voltpartners.example", support_phone="+31 20 123 4567",
        billing_email="finance@voltpartners.example", logo_url="static:logos/voltpartners.svg",
        domain="laden.voltpartners.example", iban="NL44RABO0123456789",
        vat_id="NL123456789B01", vat_registered=True,
    )
    tree.create_user(s, email="admin@voltpartners.example", name="Volt Admin",
                     role=Role.PARTNER_ADMIN, password=pw, partner_id=volt.id)
    tree.create_user(s, email="support@voltpartners.example", name="Volt Support",
                     role=Role.PARTNER_SUPPORT, password=pw, partner_id=volt.id)

    acme_customer = tree.create_customer(s, name="Acme Logistics", partner_id=volt.id)
    acme_rate = tree.create_rate(
        s, name="Acme standard", customer_id=acme_customer.id,
        tariff=ocpi_tariff("ACME-STD", energy="0.39", flat="0.35"), compensation_per_kwh="0.30",
    )
    acme = tree.create_organization(
        s, customer_id=acme_customer.id, name="Acme Logistics B.V.", rate_id=acme_rate.id,
        vat_id="NL858585858B01", vat_registered=True, iban="NL20INGB0001234567",
        billing_email="finance@acme.example", address="Havenweg 1, 1011 AA Amsterdam",
    )
    # Acme pays its invoices by SEPA direct debit (pain.008).
    acme.sepa_mandate_id, acme.sepa_mandate_signed_on = "ACME-2026-001", date(2026, 9, 1)
    depot = tree.create_location(
        s, organization_id=acme.id, name="Depot Noord",
        access_mode=AccessMode.ROAMING_WHITELISTING, rate_inherited=True,
        address="Noordweg 12", postal_code="1031 AB", city="Amsterdam",
    )
    depot_02_rate = tree.create_rate(
        s, name="Depot 02 fast", customer_id=acme_customer.id,
        tariff=ocpi_tariff("ACME-DEPOT-02", energy="0.45"), compensation_per_kwh="0.30",
    )
    depot_01 = tree.add_charging_point(s, location_id=depot.id, ocpp_id="ACME-DEPOT-01",
                                       password=pw, connectors=2,
                                       subscription_plan_id=business.id)
    depot_02 = tree.add_charging_point(s, location_id=depot.id, ocpp_id="ACME-DEPOT-02",
                                       password=pw, connectors=2, rate_id=depot_02_rate.id,
                                       subscription_plan_id=business.id, max_power_w=22000)
    _connected(depot_01, "2026-09-01T08:00:00")
    _connected(depot_02, "2026-09-01T08:00:00")
    tree.add_charging_point(s, location_id=depot.id, ocpp_id="ACME-DEPOT-03", password=pw,
                            subscription_plan_id=business.id)  # pre-approved, not yet energized

    jan_rate = tree.create_rate(
        s, name="Jan home electricity", customer_id=acme_customer.id,
        tariff=ocpi_tariff("ACME-HOME-JAN", energy="0.28"), compensation_per_kwh="0.28",
    )
    jan = tree.create_organization(
        s, customer_id=acme_customer.id, parent_id=acme.id, name="Jan de Vries",
        is_private_person=True, iban="NL66ASNB0707070707", rate_id=jan_rate.id,
        address="Tulpstraat 5, 1234 AB Amstelveen",
    )
    home_jan = tree.create_location(s, organization_id=jan.id, name="Home Jan",
                                    access_mode=AccessMode.WHITELISTING, rate_inherited=True,
                                    address="Tulpstraat 5", postal_code="1234 AB",
                                    city="Amstelveen")
    home_cp = tree.add_charging_point(s, location_id=home_jan.id, ocpp_id="ACME-HOME-001",
                                      password=pw, subscription_plan_id=home.id)
    # Pre-approved in September, first connected on 11 October (SCENARIOS.md).
    home_cp.created_at = _dt("2026-09-15T09:00:00")
    _connected(home_cp, "2026-10-11T07:30:00")

    tree.create_user(s, email="admin@acme.example", name="Acme Fleet Manager",
                     role=Role.CUSTOMER_ADMIN, password=pw, customer_id=acme_customer.id)
    jan_user = tree.create_user(s, email="jan@acme.example", name="Jan de Vries",
                                role=Role.CUSTOMER_USER, password=pw, organization_id=jan.id)
    jan_card = tree.issue_organization_card(
        s, uid="ACME-JAN-01", organization_id=acme.id, user_id=jan_user.id,
        label="Jan de Vries company card", reimbursable_for_organization_id=jan.id,
    )
    tree.whitelist_card(s, card_id=jan_card.id, location_id=home_jan.id)
    tree.whitelist_card(s, card_id=jan_card.id, location_id=depot.id)
    blocked = tree.issue_organization_card(s, uid="ACME-OLD-07", organization_id=acme.id,
                                           label="lost card")
    blocked.status = CardStatus.BLOCKED
    tree.whitelist_card(s, card_id=blocked.id, location_id=depot.id)

    # --- A second partner with its own branding, a public car park, an open charger
    right = tree.create_partner(
        s, name="ChargeRight", display_name="ChargeRight Installers",
        roaming_fee_per_kwh="0.06", subscription_kickback_percent="15",
        primary_color="#1d4ed8", secondary_color="#eff6ff",
        support_email="help@chargeright.example", support_phone="+31 30 765 4321",
        billing_email="billing@chargeright.example", logo_url="static:logos/chargeright.svg",
        domain="portal.chargeright.example", iban="NL48BUNQ2025550000",
        vat_id="NL987654321B01",
    )
    tree.create_user(s, email="admin@chargeright.example", name="ChargeRight Admin",
                     role=Role.PARTNER_ADMIN, password=pw, partner_id=right.id)
    park_customer = tree.create_customer(s, name="Parkeergarage Centrum", partner_id=right.id)
    park_rate = tree.create_rate(
        s, name="Parkeergarage default", customer_id=park_customer.id,
        tariff=ocpi_tariff("PARK-STD", energy="0.42"), compensation_per_kwh="0.25",
    )
    park = tree.create_organization(
        s, customer_id=park_customer.id, name="Parkeergarage Centrum B.V.",
        rate_id=park_rate.id, vat_id="NL111222333B01", vat_registered=True,
        iban="NL80TRIO0123123123", billing_email="admin@parkeergarage.example",
    )
    tou_rate = tree.create_rate(
        s, name="P1 time-of-use", customer_id=park_customer.id,
        tariff=time_of_use_tariff("PARK-P1-TOU"), compensation_per_kwh="0.25",
    )
    p1 = tree.create_location(  # rate overridden at location level
        s, organization_id=park.id, name="P1 Centrum",
        access_mode=AccessMode.ROAMING_WHITELISTING, rate_id=tou_rate.id,
        rate_inherited=False, address="Stationsplein 1", postal_code="3511 AA", city="Utrecht",
    )
    for n in (1, 2, 3):
        cp = tree.add_charging_point(s, location_id=p1.id, ocpp_id=f"PARK-P1-{n:02d}",
                                     password=pw, connectors=2,
                                     subscription_plan_id=public.id)
        _connected(cp, EXTRAS_CONNECTED)
    staff = tree.create_location(s, organization_id=park.id, name="Staff entrance",
                                 access_mode=AccessMode.WHITELISTING, rate_inherited=True,
                                 city="Utrecht")
    # Access mode overridden at charging point level: a visitors' open charger.
    open_cp = tree.add_charging_point(s, location_id=staff.id, ocpp_id="PARK-OPEN-01",
                                      password=pw, access_mode=AccessMode.OPEN,
                                      subscription_plan_id=business.id)
    _connected(open_cp, EXTRAS_CONNECTED)
    tree.create_user(s, email="admin@parkeergarage.example", name="Garage Manager",
                     role=Role.CUSTOMER_ADMIN, password=pw, customer_id=park_customer.id)
    staff_card = tree.issue_organization_card(s, uid="PARK-STAFF-01", organization_id=park.id,
                                              label="Night guard")
    tree.whitelist_card(s, card_id=staff_card.id, location_id=staff.id)
    tree.whitelist_card(s, card_id=staff_card.id, location_id=p1.id)

    # --- A customer directly under the platform (no partner): roaming-only charger
    bakery_customer = tree.create_customer(s, name="Bakkerij De Korf")
    bakery_rate = tree.create_rate(
        s, name="Bakkerij", customer_id=bakery_customer.id,
        tariff=ocpi_tariff("KORF", energy="0.40", flat="0.50"), compensation_per_kwh="0.27",
    )
    bakery = tree.create_organization(s, customer_id=bakery_customer.id,
                                      name="Bakkerij De Korf V.O.F.", rate_id=bakery_rate.id,
                                      iban="NL98RABO0300300300", vat_registered=True,
                                      vat_id="NL444555666B01")
    shop = tree.create_location(s, organization_id=bakery.id, name="Winkel Dorpsstraat",
                                access_mode=AccessMode.ROAMING, rate_inherited=True,
                                city="Zeist")
    korf = tree.add_charging_point(s, location_id=shop.id, ocpp_id="KORF-01", password=pw,
                                   subscription_plan_id=business.id)
    _connected(korf, EXTRAS_CONNECTED)
    tree.create_user(s, email="owner@dekorf.example", name="Bakker Korf",
                     role=Role.CUSTOMER_ADMIN, password=pw, customer_id=bakery_customer.id)
