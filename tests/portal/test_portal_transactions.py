"""Transactions in a real browser: sessions run by a simulated charger through the
real session workflow appear priced, with who pays whom; filters narrow them by
charging point, card and period; the CSV export holds exactly the filtered rows;
the dashboard counts the month's energy and draws it per day."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.base import reading
from db.models import ChargingSession
from tests.portal.conftest import log_in

pytestmark = pytest.mark.temporal

ROAMING_TOKEN = "NL-TNM-C00122045-K"
COMPANY_CARD = "ACME-JAN-01"


async def run_session(charger, id_tag: str, energy_wh: int, connector: int = 1) -> None:
    session = await charger.start_session(connector, id_tag)
    assert session.accepted, session.status
    for _ in range(2):
        charger.meters[connector] += energy_wh // 2
        await charger.send_meter_values(connector)
    await charger.stop_session(connector)


async def settled(platform, count: int, timeout_s: float = 40) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        with reading(platform.factory) as db:  # never the write lock: the server shares this loop
            done = db.scalar(select(func.count()).select_from(ChargingSession).where(
                ChargingSession.state == "finished"))
        if done >= count:
            return
        assert loop.time() < deadline, f"{done} of {count} sessions settled"
        await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def sessions(platform):
    """Three settled sessions: two roaming (12 and 24 kWh) at DEPOT-01, one with the
    company card (6 kWh) at DEPOT-02."""
    async with platform.charger("ACME-DEPOT-01", energy_rate_w=0) as one:
        one.meters[1] = 1_000_000
        await run_session(one, ROAMING_TOKEN, 12_000)
        await run_session(one, ROAMING_TOKEN, 24_000)
    async with platform.charger("ACME-DEPOT-02", energy_rate_w=0) as two:
        two.meters[1] = 5_000_000
        await run_session(two, COMPANY_CARD, 6_000)
    await settled(platform, 3)


async def test_transactions_filter_by_charging_point_and_card_and_export_csv(
    platform, sessions, page, shoot
):
    await log_in(page, "admin@voltpartners.example")
    await page.click("nav >> text=Transactions")
    assert await page.inner_text(".tx-count") == "3"
    headers = await page.locator("table.transactions thead th").all_inner_texts()
    assert [h.strip().lower() for h in headers[-3:]] == ["price", "compensation", "roaming fee"]
    # SCENARIOS S2 prices: 24 kWh x 0.39 + 0.35 = 9.71, 12 kWh = 5.03.
    body = await page.inner_text("table.transactions tbody")
    assert "€\u00a09.71" in body and "€\u00a05.03" in body
    await shoot(page, "transactions-all")

    await page.select_option("#charging_point", label="ACME-DEPOT-01")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**charging_point=*")
    assert await page.inner_text(".tx-count") == "2"
    assert set(await page.locator("td.tx-card").all_inner_texts()) == {ROAMING_TOKEN}

    await page.select_option("#charging_point", value="")
    await page.select_option("#card", value=COMPANY_CARD)
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url(f"**card={COMPANY_CARD}*")
    assert await page.inner_text(".tx-count") == "1"
    await shoot(page, "transactions-filtered")

    async with page.expect_download() as waiting:
        await page.click("[data-export]")
    download = await waiting.value
    rows = list(csv.DictReader(io.StringIO(open(await download.path()).read())))
    assert [(r["charging_point"], r["card"], r["energy_kwh"]) for r in rows] == [
        ("ACME-DEPOT-02", COMPANY_CARD, "6.000")
    ]
    assert download.suggested_filename.startswith("transactions-")

    # A period without sessions.
    await page.fill("#from", "2026-01-01")
    await page.fill("#to", "2026-01-31")
    await page.click("form.filters button[type=submit]")
    assert await page.inner_text(".tx-count") == "0"


async def test_another_partner_sees_none_of_these_transactions(platform, sessions, page):
    await log_in(page, "admin@chargeright.example")
    await page.goto("/transactions")
    assert await page.inner_text(".tx-count") == "0"
    answer = await page.context.request.get(f"{platform.url}/transactions.csv")
    assert answer.status == 200
    assert (await answer.text()).strip().count("\n") == 0  # the header only


async def test_the_dashboard_counts_this_months_energy_and_draws_it(
    platform, sessions, page, shoot
):
    await log_in(page, "admin@acme.example")
    assert "42 kWh" in await page.inner_text(".month-energy")
    bars = page.locator(".chart rect.bar")
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).day  # the platform's time zone
    title = await bars.nth(today - 1).locator("title").text_content()
    assert title.endswith(": 42 kWh")
    await shoot(page, "dashboard-acme-with-sessions")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await shoot(page, "dashboard-phone")
    assert await page.is_hidden("nav.nav")
    await page.click(".menu-toggle")
    assert await page.is_visible("nav.nav")
    await shoot(page, "dashboard-phone-menu")
