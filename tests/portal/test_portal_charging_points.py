"""The charging point page in a real browser against a simulated charger on a
real ingest node and Temporal: navigating the tree to it, its effective settings
with their source, remote actions with their recorded outcomes, and a live
session whose energy and cost rise on the page without a reload (SSE)."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from db.base import reading
from db.models import ChargingPoint
from tests.portal.conftest import log_in

pytestmark = pytest.mark.temporal

ROAMING_TOKEN = "NL-TNM-C00122045-K"  # ShellRecharge, roams onto Depot Noord


def point_id(platform, ocpp_id: str) -> int:
    with reading(platform.factory) as db:  # never the write lock: the server shares this loop
        return db.scalar(select(ChargingPoint.id).where(ChargingPoint.ocpp_id == ocpp_id))


async def test_partner_navigates_the_tree_to_a_charging_point_and_sees_where_settings_come_from(
    platform, page, shoot
):
    await log_in(page, "admin@voltpartners.example")
    await page.click("nav >> text=Sites & chargers")
    await page.click(".tree a.node-link:text-is('ACME-DEPOT-01')")
    await page.wait_for_url("**/charging-points/*")
    assert "ACME-DEPOT-01" in await page.inner_text("h1")
    assert "Depot Noord" in await page.inner_text(".crumbs")
    rate = await page.inner_text(".effective-rate")
    assert "Acme standard" in rate
    assert "Inherited from organization Acme Logistics B.V." in rate
    assert "€ 0.39 per kWh" in rate and "€ 0.35 per session" in rate
    assert "Inherited from location Depot Noord" in await page.inner_text(".effective-access")
    assert await page.locator("table.connectors tbody tr").count() == 2
    await shoot(page, "charging-point-offline")

    # Search from the top bar: the tree opens on the match.
    await page.fill(".topbar input[name=q]", "depot-02")
    await page.press(".topbar input[name=q]", "Enter")
    await page.wait_for_url("**/tree?q=depot-02")
    assert await page.locator(".tree mark").all_inner_texts() == ["ACME-DEPOT-02"]
    await shoot(page, "tree-search")
    await page.click(".tree mark")
    assert "Own setting of charging point ACME-DEPOT-02" in await page.inner_text(
        ".effective-rate")
    await page.set_viewport_size({"width": 390, "height": 844})
    await shoot(page, "charging-point-phone")
    await page.set_viewport_size({"width": 1360, "height": 900})

    # Another partner's charger does not exist for this partner.
    answer = await page.goto(f"/charging-points/{point_id(platform, 'PARK-P1-01')}")
    assert answer.status == 404
    assert "Not found" in await page.inner_text("h1")


async def _watch_point(page, platform, ocpp_id: str, login: str) -> None:
    """Log in as `login` and open the charger's page, marked so that a test can
    tell it was never reloaded (`window.notReloaded`)."""
    await log_in(page, login)
    await page.goto(f"/charging-points/{point_id(platform, ocpp_id)}")
    await page.evaluate("window.notReloaded = true")


async def test_remote_actions_reach_the_simulated_charger_and_show_their_outcome(
    platform, page, shoot
):
    await _watch_point(page, platform, "ACME-DEPOT-01", "support@voltpartners.example")
    async with platform.charger("ACME-DEPOT-01") as charger:
        # The page learns that the charger came online without a reload.
        await page.wait_for_selector("[data-live=online]:text-is('Online')")
        await page.wait_for_selector("[data-live=c1-status]:text-is('Available')")
        assert await page.evaluate("window.notReloaded") is True

        await page.click("button[data-action=request_status]")
        await page.wait_for_url(re.compile(r".*\?command=\d+"))
        notice = await page.inner_text(".notice")
        assert "Request status on the charging point: the charger accepted it" in notice
        assert await page.inner_text("table.commands tbody tr:first-child .command-status") == (
            "accepted")

        await page.click("button[data-action=unlock-2]")
        await page.wait_for_url(re.compile(r".*\?command=\d+"))
        assert "Release cable on connector 2: the charger accepted it" in await page.inner_text(
            ".notice")
        await shoot(page, "charging-point-remote-action")
    assert ("UnlockConnector", {"connector_id": 2}) in charger.remote_calls
    assert any(action == "TriggerMessage" for action, _ in charger.remote_calls)

    # The charger is gone: the next command is recorded as offline.
    await page.wait_for_selector("[data-live=online]:text-is('Offline')", timeout=20_000)
    await page.click("button[data-action=reset]")
    await page.wait_for_url(re.compile(r".*\?command=\d+"))
    assert "the charging point is not connected" in await page.inner_text(".notice")
    assert await page.inner_text("table.commands tbody tr:first-child .command-status") == (
        "offline")


async def test_an_employee_cannot_see_or_act_on_the_company_depot(platform, page, context):
    cp_id = point_id(platform, "ACME-DEPOT-01")
    await log_in(page, "jan@acme.example")
    token = await page.get_attribute("input[name=csrf_token]", "value")  # the logout form's
    answer = await page.goto(f"/charging-points/{cp_id}")
    assert answer.status == 404
    refused = await context.request.post(
        f"{platform.url}/charging-points/{cp_id}/actions",
        form={"csrf_token": token, "action": "reset"},
    )
    assert refused.status == 404


async def test_a_live_sessions_energy_and_cost_rise_on_the_page_without_reloading(
    platform, page, shoot
):
    await _watch_point(page, platform, "ACME-DEPOT-01", "admin@acme.example")
    async with platform.charger("ACME-DEPOT-01", energy_rate_w=0) as charger:
        charger.meters[1] = 2_000_000
        session = await charger.start_session(1, ROAMING_TOKEN)
        assert session.accepted
        await page.wait_for_selector("[data-live=c1-status]:text-is('Charging')")
        await page.wait_for_selector("table.live-sessions tbody tr[data-session]")
        # Record every value the page shows as the server pushes it.
        await page.evaluate("""() => {
            window.seenEnergy = [];
            const body = document.querySelector('table.live-sessions tbody');
            new MutationObserver(() => {
                const cell = body.querySelector('.live-energy');
                if (cell) window.seenEnergy.push(parseFloat(cell.textContent.replace(',', '')));
            }).observe(body, {childList: true, subtree: true, characterData: true});
        }""")
        for _ in range(6):
            charger.meters[1] += 1_500
            await charger.send_meter_values(1)
            await asyncio.sleep(1.2)
        await page.wait_for_function(
            "parseFloat(document.querySelector('table.live-sessions .live-energy').textContent)"
            " === 9")  # 6 x 1.5 kWh
        seen = await page.evaluate("window.seenEnergy")
        assert seen == sorted(seen) and len(set(seen)) >= 3, seen  # it rose, step by step
        assert seen[-1] == 9.0
        cost = await page.inner_text("table.live-sessions tbody tr:first-child .live-cost")
        assert cost != "€\u00a00.00"
        assert await page.evaluate("window.notReloaded") is True
        await shoot(page, "charging-point-live-session")

        # Stopping it from the page: the charger ends the transaction.
        await page.click("button[data-action=remote_stop-1]")
        await page.wait_for_url(re.compile(r".*\?command=\d+"))
        assert "Stop charging on connector 1: the charger accepted it" in await page.inner_text(
            ".notice")
        await page.wait_for_selector("table.live-sessions >> text=Nobody is charging right now.")
