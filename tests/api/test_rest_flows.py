"""REST flows on the demo world: onboarding a customer down to a charging point,
effective settings with their source, money settings kept from support,
pagination and sorting, errors in one shape, the audit log."""

from __future__ import annotations

from tests.api.conftest import token_for

OCPI_TARIFF = {
    "id": "t-1", "currency": "EUR", "country_code": "NL", "party_id": "ECL",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]}],
    "last_updated": "2026-11-01T00:00:00Z",
}


def bearer(client, email):
    return {"Authorization": f"Bearer {token_for(client, email)}"}


def test_partner_support_onboards_customer_to_charging_point_and_it_is_audited(fresh):
    client = fresh
    support = bearer(client, "support@voltpartners.example")
    admin = bearer(client, "admin@voltpartners.example")
    customer = client.post("/api/v1/customers", headers=support, json={"name": "Bakery Zon"})
    assert customer.status_code == 201, customer.text
    cid = customer.json()["id"]
    # Support may not create money settings; the partner admin adds the rate.
    refused = client.post("/api/v1/rates", headers=support, json={
        "name": "Zon", "customer_id": cid, "compensation_per_kwh": "0.2",
        "tariff": OCPI_TARIFF})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden.money_settings"
    rate = client.post("/api/v1/rates", headers=admin, json={
        "name": "Zon", "customer_id": cid, "compensation_per_kwh": "0.2", "tariff": OCPI_TARIFF})
    assert rate.status_code == 201, rate.text
    assert rate.json()["tariff"]["elements"][0]["price_components"][0]["type"] == "ENERGY"

    org = client.post("/api/v1/organizations", headers=support, json={
        "customer_id": cid, "name": "Zon B.V.", "rate_id": rate.json()["id"]})
    assert org.status_code == 201, org.text
    loc = client.post("/api/v1/locations", headers=support, json={
        "organization_id": org.json()["id"], "name": "Shop", "access_mode": "open"})
    assert loc.status_code == 201, loc.text
    cp = client.post("/api/v1/charging-points", headers=support, json={
        "location_id": loc.json()["id"], "ocpp_id": "ZON-01",
        "password": "0123456789abcdef", "connectors": 2})
    assert cp.status_code == 201, cp.text
    assert cp.json()["state"] == "pre_approved" and len(cp.json()["connectors"]) == 2

    eff = client.get(f"/api/v1/charging-points/{cp.json()['id']}/effective-settings",
                     headers=support).json()
    assert eff["rate"]["source"] == "organization" and eff["rate"]["inherited"] is True
    assert eff["access_mode"] == {**eff["access_mode"], "access_mode": "open",
                                  "source": "location"}

    # Support can rename, but not change the charging point's rate.
    renamed = client.patch(f"/api/v1/charging-points/{cp.json()['id']}", headers=support,
                           json={"name": "Front door"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Front door"
    money = client.patch(f"/api/v1/charging-points/{cp.json()['id']}", headers=support,
                         json={"rate_id": rate.json()["id"], "rate_inherited": False})
    assert money.status_code == 403

    audit = client.get("/api/v1/audit", headers=admin,
                       params={"object_type": "charging_point"}).json()["items"]
    assert [e["action"] for e in audit] == ["charging_point.update", "charging_point.create"]
    assert audit[0]["before"]["name"] == "ZON-01" and audit[0]["after"]["name"] == "Front door"
    assert audit[0]["actor"] == "support@voltpartners.example"
    other = bearer(client, "admin@chargeright.example")
    assert client.get("/api/v1/audit", headers=other,
                      params={"object_type": "charging_point"}).json()["items"] == []


def test_lists_paginate_sort_and_refuse_unknown_sort_fields(fresh):
    client = fresh
    admin = bearer(client, "admin@energycloud.example")
    first = client.get("/api/v1/users", headers=admin, params={"limit": 2, "sort": "email"})
    body = first.json()
    assert body["limit"] == 2 and len(body["items"]) == 2 and body["next_offset"] == 2
    emails = [u["email"] for u in body["items"]]
    assert emails == sorted(emails)
    bad = client.get("/api/v1/users", headers=admin, params={"sort": "password_hash"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid.sort"


def test_deactivated_location_leaves_the_default_list(fresh):
    client = fresh
    admin = bearer(client, "admin@acme.example")
    locations = client.get("/api/v1/locations", headers=admin).json()["items"]
    target = locations[0]["id"]
    assert client.post(f"/api/v1/locations/{target}/deactivate",
                       headers=admin).json()["active"] is False
    ids = [x["id"] for x in client.get("/api/v1/locations", headers=admin).json()["items"]]
    assert target not in ids
    everything = client.get("/api/v1/locations", headers=admin,
                            params={"include_inactive": True}).json()["items"]
    assert target in [x["id"] for x in everything]


def test_validation_errors_have_the_one_error_shape(fresh):
    client = fresh
    admin = bearer(client, "admin@voltpartners.example")
    answer = client.post("/api/v1/customers", headers=admin, json={"nme": "typo"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid"
    assert "name" in answer.json()["error"]["message"]


def test_offline_docs_serve_their_assets_from_the_package(fresh):
    client = fresh
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "/static-docs/swagger-ui-bundle.js" in page
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200
    redoc = client.get("/redoc").text
    assert "/static-docs/redoc.standalone.js" in redoc and "fonts.googleapis" not in redoc
    assert client.get("/static-docs/redoc.standalone.js").status_code == 200
