"""Remote actions and onboarding through the REST API, end to end: a real
Temporal dev server, a running ingest node and a simulated charger on a real
websocket (as tests/test_ocpp_remote_actions.py, one layer up)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from db.demo import load_demo_data
from db.models import Location
from energycloud.api_services import make_api_services
from energycloud.settings import Settings
from tests.api.conftest import LOGINS, PASSWORD, SECRET
from tests.ocpp.support import charger, eventually, running_ingest

pytestmark = pytest.mark.temporal
CHARGER_PASSWORD = "a-charger-secret-0123"


@pytest.fixture
async def api(db_url, session_factory, temporal_env):
    load_demo_data(session_factory, password=PASSWORD)
    address = temporal_env.client.service_client.config.target_host
    app = create_app(
        Settings(database_url=db_url, temporal_address=address, secret_key=SECRET),
        session_factory=session_factory,
        services=make_api_services(command_timeout_s=20, offline_after_s=60),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        async def login(role: str) -> dict:
            answer = await http.post("/api/v1/auth/token",
                                     data={"username": LOGINS[role], "password": PASSWORD})
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        yield http, login


def _depot(session_factory) -> int:
    with session_factory() as db:
        return db.scalar(select(Location.id).where(Location.name == "Depot Noord"))


async def test_support_runs_remote_actions_and_sees_their_recorded_outcomes(
    api, session_factory, temporal_client, task_queue
):
    http, login = api
    support, other = await login("volt_support"), await login("right_admin")
    created = await http.post("/api/v1/charging-points", headers=support, json={
        "location_id": _depot(session_factory), "ocpp_id": "API-REMOTE-1",
        "password": CHARGER_PASSWORD, "connectors": 2})
    assert created.status_code == 201, created.text
    cp_id = created.json()["id"]

    async with running_ingest(session_factory, node_id=task_queue,
                              temporal_client=temporal_client) as server:
        async with charger(server, "API-REMOTE-1", "1.6", password=CHARGER_PASSWORD,
                           connectors=2) as sim:
            status = await http.post(f"/api/v1/charging-points/{cp_id}/actions/request_status",
                                     headers=support)
            assert status.status_code == 200, status.text
            assert (status.json()["status"], status.json()["ocpp_action"]) == (
                "accepted", "TriggerMessage")
            unlock = await http.post(
                f"/api/v1/charging-points/{cp_id}/connectors/2/actions/unlock", headers=support)
            assert unlock.json()["status"] == "accepted", unlock.text
            refused = await http.post(f"/api/v1/charging-points/{cp_id}/actions/reset",
                                      headers=other)
            assert refused.status_code == 404
            await eventually(lambda: len(sim.remote_calls) >= 2)

            live = await http.get(f"/api/v1/charging-points/{cp_id}/status", headers=support)
            assert live.json()["online"] is True

    commands = (await http.get(f"/api/v1/charging-points/{cp_id}/commands",
                               headers=support)).json()["items"]
    assert [(c["action"], c["status"]) for c in commands] == [
        ("unlock", "accepted"), ("request_status", "accepted")]
    assert commands[0]["requested_by"] == LOGINS["volt_support"]
    audit = (await http.get("/api/v1/audit", headers=support,
                            params={"object_type": "charging_point", "object_id": cp_id})).json()
    assert [e["action"] for e in audit["items"]][:2] == [
        "remote_action.unlock", "remote_action.request_status"]
    history = (await http.get(f"/api/v1/charging-points/{cp_id}/status-history",
                              headers=support)).json()
    assert history["total"] >= 1


async def test_claiming_needs_a_connected_charger_then_moves_it_into_the_tree(
    api, session_factory, temporal_client, task_queue
):
    http, login = api
    admin = await login("volt_admin")
    location = _depot(session_factory)
    absent = await http.post("/api/v1/charging-points/claim", headers=admin, json={
        "ocpp_id": "API-CLAIM-1", "location_id": location, "password": CHARGER_PASSWORD})
    assert absent.status_code == 409
    assert "not connected" in absent.json()["error"]["message"]

    async with running_ingest(session_factory, node_id=task_queue,
                              temporal_client=temporal_client,
                              allow_unknown_chargers=True) as server:
        async with charger(server, "API-CLAIM-1", "1.6", password=CHARGER_PASSWORD):
            await eventually(lambda: _pending(session_factory, "API-CLAIM-1"))
            claimed = await http.post("/api/v1/charging-points/claim", headers=admin, json={
                "ocpp_id": "API-CLAIM-1", "location_id": location, "name": "Claimed bay",
                "password": CHARGER_PASSWORD})
            assert claimed.status_code == 201, claimed.text
            assert claimed.json()["state"] == "connected"
            assert claimed.json()["location_id"] == location

    other = await login("right_admin")
    assert (await http.get(f"/api/v1/charging-points/{claimed.json()['id']}",
                           headers=other)).status_code == 404


def _pending(session_factory, ocpp_id: str) -> bool:
    from db.models import ChargingPoint

    with session_factory() as db:
        cp = db.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == ocpp_id))
        return cp is not None and cp.online
