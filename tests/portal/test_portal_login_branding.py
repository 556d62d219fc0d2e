"""Logging in to the portal in a real browser, as a partner, a partner's customer
and an employee: each sees its partner's brand, its own subtree only, and can log
out; wrong passwords are refused with the one sentence; a partner's domain brands
the login page before anyone logs in."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.portal.conftest import log_in

pytestmark = pytest.mark.temporal

VOLT = ("VoltPartners Laadoplossingen", "#0b6e4f", "support@voltpartners.example")
RIGHT = ("ChargeRight Installers", "#1d4ed8", "help@chargeright.example")


async def brand_of(page) -> tuple[str, str, str]:
    name = await page.get_attribute("body", "data-brand")
    colour = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    )
    support = (await page.text_content(".support-email") or "").strip()
    return name, colour, support


@pytest.mark.parametrize(
    ("email", "brand", "sees", "does_not_see"),
    [
        ("admin@voltpartners.example", VOLT, ["Acme Logistics", "Depot Noord", "Home Jan"],
         ["Parkeergarage Centrum"]),
        ("admin@acme.example", VOLT, ["Depot Noord", "Home Jan", "ACME-DEPOT-02"],
         ["Parkeergarage Centrum", "VoltPartners Laadoplossingen"]),
        ("jan@acme.example", VOLT, ["Home Jan", "ACME-HOME-001"],
         ["Depot Noord", "ACME-DEPOT-01"]),
        ("admin@chargeright.example", RIGHT, ["Parkeergarage Centrum", "PARK-P1-01"],
         ["Acme Logistics", "Depot Noord"]),
    ],
    ids=["partner", "partners-customer", "employee", "other-partner"],
)
async def test_each_login_sees_its_partners_brand_and_only_its_subtree(
    page, shoot, email, brand, sees, does_not_see
):
    await log_in(page, email)
    assert await brand_of(page) == brand
    assert await page.is_visible("img.brand-logo") or await page.is_visible(".brand-mark")
    await shoot(page, f"dashboard-{email.split('@')[0]}-{email.split('@')[1].split('.')[0]}")

    await page.click("nav >> text=Sites & chargers")
    tree = await page.text_content(".tree")  # collapsed branches too
    for name in sees:
        assert name in tree
    for name in does_not_see:
        assert name not in tree
    await shoot(page, f"tree-{email.split('@')[1].split('.')[0]}-{email.split('@')[0]}")

    await page.click("text=Log out")
    await page.wait_for_url("**/login?bye=1")
    await page.goto("/")
    assert "/login" in page.url  # the session is gone


async def test_wrong_password_is_refused_with_one_sentence(page):
    await page.goto("/login")
    await page.fill("#email", "admin@acme.example")
    await page.fill("#password", "not-the-password")
    await page.click("button[type=submit]")
    assert "The e-mail address or the password is not correct." in await page.inner_text(
        "[role=alert]")
    await page.fill("#email", "nobody@acme.example")
    await page.fill("#password", "demo")
    await page.click("button[type=submit]")
    assert "The e-mail address or the password is not correct." in await page.inner_text(
        "[role=alert]")


async def test_a_partners_domain_brands_the_login_page(platform, page, shoot):
    async with httpx.AsyncClient(base_url=platform.url) as http:
        volt = await http.get("/login", headers={"Host": "laden.voltpartners.example"})
        right = await http.get("/login", headers={"Host": "portal.chargeright.example:443"})
        plain = await http.get("/login")
    assert 'data-brand="VoltPartners Laadoplossingen"' in volt.text
    assert "--brand: #0b6e4f" in volt.text
    assert 'data-brand="ChargeRight Installers"' in right.text
    assert 'data-brand="Energy Cloud"' in plain.text
    await page.goto("/login")
    await shoot(page, "login-platform")


async def test_pages_need_a_login_and_return_there_after_it(page):
    await page.goto("/transactions")
    assert "/login" in page.url
    await page.fill("#email", "admin@acme.example")
    await page.fill("#password", "demo")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/transactions")


async def test_a_form_without_the_csrf_token_is_refused(platform, context, page):
    await log_in(page, "admin@acme.example")
    answer = await context.request.post(f"{platform.url}/logout", form={"x": "1"})
    assert answer.status == 403
    await page.goto("/")
    assert "/login" not in page.url  # still logged in


async def test_password_change_then_log_in_with_the_new_one(page):
    await log_in(page, "support@voltpartners.example")
    await page.goto("/account/password")
    await page.fill("#current", "demo")
    await page.fill("#new", "a-long-new-passphrase")
    await page.fill("#repeat", "a-long-other-passphrase")
    await page.click("main button[type=submit]")
    assert "The two new passwords differ" in await page.inner_text(".notice")
    await page.fill("#current", "demo")
    await page.fill("#new", "a-long-new-passphrase")
    await page.fill("#repeat", "a-long-new-passphrase")
    await page.click("main button[type=submit]")
    assert "Your password is changed" in await page.inner_text(".notice")
    await page.click("text=Log out")
    await log_in(page, "support@voltpartners.example", "a-long-new-passphrase")
    assert await page.get_attribute("body", "data-brand") == VOLT[0]


async def test_live_updates_stop_when_the_session_ends(platform):
    async with httpx.AsyncClient(base_url=platform.url, timeout=10) as http:
        form = await http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        await http.post("/login", data={"email": "admin@acme.example", "password": "demo",
                                        "csrf_token": token, "next": "/"})
        dashboard = await http.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.text).group(1)
        events = []
        async with http.stream("GET", "/live/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            while "event: update" not in events:
                events.append(await asyncio.wait_for(anext(lines), 5))
            assert (await http.post("/logout", data={"csrf_token": csrf})).status_code == 303
            while "event: ended" not in events:
                events.append(await asyncio.wait_for(anext(lines), 5))
        assert (await http.get("/live/events")).status_code == 303  # to /login
