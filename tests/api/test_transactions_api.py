"""Transactions through the API: filters (period, card, charging point,
location, organization), who pays whom, and a live session's running energy
and cost estimate from its meter values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from db.demo import load_demo_data
from db.facts import rate_of
from db.models import ChargingCard, ChargingPoint, ChargingSession, MeterValue
from tests.api.conftest import PASSWORD, api_settings, token_for

START = datetime(2026, 11, 3, 7, tzinfo=UTC)


@pytest.fixture
def client(db_url, session_factory):
    load_demo_data(session_factory, password=PASSWORD)
    with session_factory() as db:
        depot = db.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == "ACME-DEPOT-01"))
        home = db.scalar(select(ChargingPoint).where(ChargingPoint.ocpp_id == "ACME-HOME-001"))
        card = db.scalar(select(ChargingCard).where(ChargingCard.uid == "ACME-JAN-01"))
        tariff = rate_of(depot).value.tariff

        def session(cp, n, **extra):
            row = ChargingSession(
                workflow_id=f"wf-{n}", ocpp_id=cp.ocpp_id, transaction_id=str(n),
                charging_point_id=cp.id, connector=1, customer_id=cp.customer_id,
                organization_id=cp.location.organization_id, partner_id=1, id_tag=card.uid,
                card_id=card.id, category="reimbursed", started_at=START,
                snapshot={"tariff": tariff, "main_organization_id": 1}, **extra)
            db.add(row)
            return row

        session(home, 1, state="finished", stopped_at=START + timedelta(hours=2),
                energy_wh=22000, meter_stop_wh=22000, consumer_price_cents=770,
                main_org_invoiced_cents=770, employee_payout_cents=770)
        session(depot, 2, state="finished", stopped_at=START - timedelta(days=40),
                energy_wh=5000, consumer_price_cents=175)
        live = session(depot, 3, state="active", meter_start_wh=1000)
        db.flush()
        db.add(MeterValue(charging_point_id=depot.id, connector=1, workflow_id="wf-3",
                          measured_at=START + timedelta(minutes=30), energy_wh=11000))
        db.commit()
        ids = {"home": home.id, "depot": depot.id, "live": live.id,
               "depot_location": depot.location_id, "card": card.id}
    app = create_app(api_settings(db_url), session_factory=session_factory)
    with TestClient(app) as c:
        yield c, ids


def _get(client, email, **params):
    headers = {"Authorization": f"Bearer {token_for(client, email)}"}
    answer = client.get("/api/v1/transactions", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_filters_by_period_card_point_and_location(client):
    c, ids = client
    admin = "admin@acme.example"
    until_tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    current = _get(c, admin, since="2026-11-01T00:00:00Z", until=until_tomorrow)
    assert [t["transaction_id"] for t in current["items"]] == ["3", "1"]  # live one first
    past = _get(c, admin, since="2026-11-01T00:00:00Z", until="2026-11-30T00:00:00Z")
    assert [t["transaction_id"] for t in past["items"]] == ["1"]  # a live one ends later
    assert _get(c, admin, charging_point_id=ids["home"])["total"] == 1
    assert _get(c, admin, location_id=ids["depot_location"])["total"] == 2
    assert _get(c, admin, card_id=ids["card"])["total"] == 3
    assert _get(c, admin, state="live")["total"] == 1
    assert _get(c, "admin@chargeright.example")["total"] == 0


def test_finished_session_says_who_pays_whom(client):
    c, ids = client
    items = _get(c, "admin@acme.example", charging_point_id=ids["home"])["items"]
    t = items[0]
    assert (t["energy_wh"], t["duration_s"], t["consumer_price_cents"]) == (22000, 7200, 770)
    assert {(p["payer"], p["payee"], p["amount_cents"]) for p in t["payments"]} == {
        ("main organization 1", "platform", 770),
        ("platform", f"suborganization {t['organization_id']}", 770)}


def test_live_session_shows_running_energy_and_cost_estimate(client):
    c, ids = client
    headers = {"Authorization": f"Bearer {token_for(c, 'admin@acme.example')}"}
    one = c.get(f"/api/v1/transactions/{ids['live']}", headers=headers).json()
    assert one["state"] == "active"
    assert one["live"]["energy_wh"] == 10000 and one["live"]["source"] == "meter_values"
    assert one["live"]["cost_estimate_cents"] > 0
    listed = _get(c, "admin@acme.example", state="live")["items"][0]
    assert listed["live"] == {**one["live"]}
