"""Finance approves a real settlement run through the API: October's sessions
driven through the session workflows, MonthlySettlementWorkflow computes and
issues the documents and waits; `POST .../approve` as platform finance signals
it and the run completes. A partner admin cannot; support cannot see it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from activities.settlement_messages import SettlementConfig
from api.app import create_app
from db.models import SettlementPeriod
from energycloud.settings import Settings
from tests.api.conftest import LOGINS, SECRET
from tests.settlement.helpers import wait_for_step
from tests.settlement.test_settlement_workflow import _october, _start
from tests.workflows.helpers import session_worker

pytestmark = pytest.mark.temporal


async def test_finance_approves_the_waiting_run_through_the_api(
    db_url, temporal_client, temporal_env, session_factory, task_queue, tmp_path
):
    await _october(temporal_client, session_factory, task_queue)  # demo password "pw"
    address = temporal_env.client.service_client.config.target_host
    app = create_app(Settings(database_url=db_url, temporal_address=address, secret_key=SECRET),
                     session_factory=session_factory)
    async with session_worker(temporal_client, session_factory, task_queue):
        handle = await _start(temporal_client, task_queue, tmp_path, SettlementConfig())
        await wait_for_step(handle, "awaiting_approval")
        with session_factory() as db:
            period_id = db.scalar(select(SettlementPeriod.id).where(
                SettlementPeriod.period == "2026-10"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            async def login(role):
                answer = await http.post("/api/v1/auth/token",
                                         data={"username": LOGINS[role], "password": "pw"})
                return {"Authorization": f"Bearer {answer.json()['access_token']}"}

            partner = await http.post(f"/api/v1/settlement-periods/{period_id}/approve",
                                      headers=await login("volt_admin"))
            assert partner.status_code == 404
            view = await http.get(f"/api/v1/settlement-periods/{period_id}",
                                  headers=await login("platform_finance"))
            assert view.json()["state"] == "awaiting_approval" and view.json()["documents"]
            approved = await http.post(f"/api/v1/settlement-periods/{period_id}/approve",
                                       headers=await login("platform_finance"))
            assert approved.status_code == 202, approved.text
            assert approved.json()["by"] == LOGINS["platform_finance"]
            await asyncio.wait_for(handle.result(), timeout=120)
            done = await http.get(f"/api/v1/settlement-periods/{period_id}",
                                  headers=await login("platform_finance"))
            assert done.json()["state"] == "settled"
            assert done.json()["approved_by"] == LOGINS["platform_finance"]
            audit = await http.get("/api/v1/audit", headers=await login("platform_finance"),
                                   params={"object_type": "settlement_period"})
            assert audit.json()["items"][0]["action"] == "settlement.approve"

            # The money after approval (SCENARIOS.md October): Acme's invoice
            # (direct debit) and ShellRecharge's (transfer) to collect, three payouts sent.
            money = await http.get(f"/api/v1/settlement-periods/{period_id}/payments",
                                   headers=await login("platform_finance"))
            assert money.status_code == 200, money.text
            body = money.json()
            assert (body["outstanding_cents"], body["collected_cents"]) == (4188 + 1747, 0)
            assert body["payouts_pending_cents"] == 1252 + 511 + 945
            flows = {(f["direction"], f["party"]): f for f in body["flows"]}
            assert flows[("in", "Acme Logistics B.V.")]["method"] == "sepa_mandate"
            assert flows[("in", "ShellRecharge")]["method"] == "bank_transfer"
            assert flows[("out", "Jan de Vries")]["amount_cents"] == 511
            assert len(flows) == 5
            for role in ("volt_admin", "acme_admin"):
                refused = await http.get(f"/api/v1/settlement-periods/{period_id}/payments",
                                         headers=await login(role))
                assert refused.status_code == 404, refused.text
