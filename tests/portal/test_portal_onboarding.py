"""Self-service onboarding in a real browser: a partner onboards a customer (with
its main organization and rate), a location and a pre-approved charging point,
whose simulated charger then connects and completes onboarding; a charger that is
powered on and connected is claimed with its password; an employee, a user and a
card are added; every addition is in the audit log."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from db.base import reading
from db.models import ChargingPoint, Customer, Organization
from domain.enums import ChargingPointState
from tests.portal.conftest import log_in

pytestmark = pytest.mark.temporal


async def test_partner_onboards_a_customer_with_a_location_and_a_charging_point(
    platform, page, shoot
):
    await log_in(page, "admin@voltpartners.example")
    await page.click("nav >> text=Onboarding")
    await shoot(page, "onboarding-index")
    await page.click("a.onboard-card:has-text('Customer')")
    await page.fill("#f-name", "Zonnepark Utrecht")
    await page.fill("#f-organization_name", "Zonnepark Utrecht B.V.")
    await page.fill("#f-billing_email", "finance@zonnepark.example")
    await page.fill("#f-vat_id", "NL123123123B01")
    await page.fill("#f-energy_price", "0.41")
    await page.fill("#f-start_fee", "0.25")
    await page.fill("#f-compensation", "0.31")
    await shoot(page, "onboarding-customer-form")
    await page.click("form.onboard-form button[type=submit]")

    await page.wait_for_url("**/onboard/location?organization_id=*")
    assert "Customer “Zonnepark Utrecht” is added." in await page.inner_text(".notice")
    assert await page.input_value("#f-organization_id") != ""
    await page.fill("#f-name", "Hoofdkantoor")
    await page.fill("#f-address", "Zonnelaan 1")
    await page.fill("#f-postal_code", "3500 AA")
    await page.fill("#f-city", "Utrecht")
    await page.select_option("#f-access_mode", "roaming_whitelisting")
    await page.click("form.onboard-form button[type=submit]")

    await page.wait_for_url("**/onboard/charging-point?location_id=*")
    assert "Location “Hoofdkantoor” is added." in await page.inner_text(".notice")
    await page.fill("#f-ocpp_id", "ZON-UTR-01")
    await page.fill("#f-password", "zon-charger-secret")
    await page.fill("#f-connectors", "2")
    await shoot(page, "onboarding-charging-point-form")
    await page.click("form.onboard-form button[type=submit]")

    await page.wait_for_url(re.compile(r".*/charging-points/\d+$"))
    assert "ZON-UTR-01" in await page.inner_text("h1")
    assert "Pre-approved" in await page.content()
    rate = await page.inner_text(".effective-rate")
    assert "Inherited from organization Zonnepark Utrecht B.V." in rate
    assert "€ 0.41 per kWh" in rate and "€ 0.25 per session" in rate

    with reading(platform.factory) as db:  # never the write lock: the server shares this loop
        customer = db.scalar(select(Customer).where(Customer.name == "Zonnepark Utrecht"))
        assert customer.partner_id is not None
        org = db.scalar(select(Organization).where(Organization.customer_id == customer.id))
        assert org.name == "Zonnepark Utrecht B.V." and org.vat_registered

    # The charger is installed and powered on: its first connection completes onboarding.
    async with platform.charger("ZON-UTR-01", password="zon-charger-secret"):
        await page.wait_for_selector("[data-live=online]:text-is('Online')")
        # Its boot fills in what the page shows, without a reload.
        await page.wait_for_selector("[data-live=lifecycle]:text-is('Onboarded')")
        await page.wait_for_selector("[data-live=model]:text-is('EnergyCloud SimCharger')")
        await shoot(page, "onboarding-charger-online")
    with reading(platform.factory) as db:  # never the write lock: the server shares this loop
        cp = db.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == "ZON-UTR-01"))
        assert cp.first_connected_at is not None and cp.customer_id == customer.id

    await page.goto("/tree?q=zonnepark")
    assert "ZON-UTR-01" in await page.text_content(".tree")
    await page.goto("/audit")
    log = await page.inner_text("table.audit")
    for kind in ("customer", "location", "charging point"):
        assert kind in log
    await shoot(page, "audit-log")


async def _claim(page, ocpp_id: str, password: str) -> None:
    """Send the onboarding form's claim of a connected charger at Depot Noord."""
    await page.goto("/onboard/charging-point")
    await page.check("input[name=mode][value=claim]")
    await page.select_option("#f-location_id", label="Depot Noord")
    await page.fill("#f-ocpp_id", ocpp_id)
    await page.fill("#f-password", password)
    await page.click("form.onboard-form button[type=submit]")


async def test_a_connected_charger_is_claimed_with_its_password(platform, page):
    async with platform.charger("CLAIM-ME-01", password="claim-secret", boot=False) as sim:
        assert await sim.boot() == "Pending"  # unknown: held as pending until claimed
        await log_in(page, "admin@acme.example")
        await _claim(page, "CLAIM-ME-01", "claim-secret")
        await page.wait_for_url(re.compile(r".*/charging-points/\d+$"))
        assert "Onboarded" in await page.content()
        assert await sim.boot_until_accepted(timeout_s=15) == "Accepted"
    with reading(platform.factory) as db:  # never the write lock: the server shares this loop
        cp = db.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == "CLAIM-ME-01"))
        assert cp.state != ChargingPointState.PENDING and cp.location_id is not None

    # A charger that is not connected cannot be claimed: the sentence says what to do.
    await _claim(page, "NOT-CONNECTED-9", "whatever-secret")
    assert "is not connected" in await page.inner_text(".notice.bad")
    assert await page.input_value("#f-ocpp_id") == "NOT-CONNECTED-9"  # the form keeps it


async def test_customer_admin_adds_an_employee_and_a_card(platform, page):
    await log_in(page, "admin@acme.example")
    await page.goto("/onboard/user")
    await page.fill("#f-name", "Piet Jansen")
    await page.fill("#f-email", "piet@acme.example")
    await page.select_option("#f-organization_id", label="Acme Logistics B.V.")
    await page.fill("#f-password", "first-password-123")
    await page.click("form.onboard-form button[type=submit]")
    await page.wait_for_url("**/onboard/user?created=user:*")
    assert "User “Piet Jansen” is added." in await page.inner_text(".notice")

    await page.goto("/onboard/card")
    await page.select_option("#f-organization_id", label="Acme Logistics B.V.")
    await page.select_option("#f-user_id", label="Piet Jansen")
    await page.fill("#f-uid", "ACME-PIET-01")
    await page.fill("#f-label", "Piet's company card")
    await page.click("form.onboard-form button[type=submit]")
    await page.wait_for_url("**/onboard/card?created=card:*")
    await page.goto("/tree?q=piet")
    tree = await page.text_content(".tree")
    assert "Piet Jansen" in tree and "ACME-PIET-01" in tree

    # A customer cannot add customers, and an employee cannot onboard at all.
    answer = await page.goto("/onboard/customer")
    assert answer.status == 403
    await page.goto("/onboard")
    form_posted = await page.context.request.post(
        f"{platform.url}/onboard/customer",
        form={"csrf_token": await page.get_attribute("input[name=csrf_token]", "value"),
              "name": "Sneaky"},
    )
    assert form_posted.status == 403
    await page.click("text=Log out")
    await log_in(page, "jan@acme.example")
    answer = await page.goto("/onboard/location")
    assert answer.status == 403
    assert await page.locator("nav >> text=Onboarding").count() == 0


async def test_a_refusal_page_reads_the_database_off_the_event_loop(
    platform, page, monkeypatch
):
    """CI once saw an employee's 403 page time out: the page's database read (a new
    transaction, BEGIN IMMEDIATE on SQLite) ran on the event loop and waited for the
    write lock (busy_timeout, 30 s) while the request holding it needed the loop."""
    import api.portal.routing as routing

    on_loop: list[bool] = []
    render = routing.error_page_with

    def spy(request, db, *args):
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return render(request, db, *args)

    monkeypatch.setattr(routing, "error_page_with", spy)
    await log_in(page, "jan@acme.example")
    answer = await page.goto("/onboard/location")
    assert answer.status == 403
    assert "ask an administrator" in await page.content()
    answer = await page.goto("/charging-points/999999")
    assert answer.status == 404
    assert on_loop == [False, False]
