"""Documents through the API: listed for whoever sees their recipient, PDF
download, and the finance view of a period (platform only; approve refused
without a waiting run, never a 500)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from db.demo import load_demo_data
from tests.api.conftest import PASSWORD, api_settings, issue_october_documents, token_for


@pytest.fixture
def client(db_url, session_factory):
    load_demo_data(session_factory, password=PASSWORD)
    issue_october_documents(session_factory)
    app = create_app(api_settings(db_url), session_factory=session_factory)
    with TestClient(app) as c:
        yield c


def _as(client, email):
    return {"Authorization": f"Bearer {token_for(client, email)}"}


def _recipients(client, email):
    answer = client.get("/api/v1/documents", headers=_as(client, email))
    assert answer.status_code == 200, answer.text
    return sorted({d["recipient_name"] for d in answer.json()["items"]})


def test_each_role_sees_the_documents_of_its_subtree(client):
    assert _recipients(client, "admin@acme.example") == ["Acme Logistics B.V.", "Jan de Vries"]
    assert _recipients(client, "jan@acme.example") == ["Jan de Vries"]
    assert "VoltPartners Laadoplossingen" in _recipients(client, "admin@voltpartners.example")
    assert "ShellRecharge" not in _recipients(client, "admin@voltpartners.example")
    assert _recipients(client, "admin@chargeright.example") == []
    assert "ShellRecharge" in _recipients(client, "finance@energycloud.example")


def test_a_document_downloads_as_pdf(client):
    headers = _as(client, "jan@acme.example")
    doc = client.get("/api/v1/documents", headers=headers).json()["items"][0]
    pdf = client.get(f"/api/v1/documents/{doc['id']}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and doc["number"] in pdf.headers[
        "content-disposition"]
    other = client.get(f"/api/v1/documents/{doc['id']}/pdf",
                       headers=_as(client, "admin@chargeright.example"))
    assert other.status_code == 404


def test_finance_sees_the_period_and_partners_do_not(client):
    finance = _as(client, "finance@energycloud.example")
    period = client.get("/api/v1/settlement-periods", headers=finance).json()["items"][0]
    view = client.get(f"/api/v1/settlement-periods/{period['id']}", headers=finance).json()
    assert view["state"] == "awaiting_approval"
    assert {t["kind"] for t in view["documents"]} >= {"invoice", "payout_statement"}
    assert view["kept_cents"] == view["in_cents"] - view["out_cents"]
    partner = _as(client, "admin@voltpartners.example")
    assert client.get(f"/api/v1/settlement-periods/{period['id']}",
                      headers=partner).status_code == 404
    assert client.post(f"/api/v1/settlement-periods/{period['id']}/approve",
                       headers=partner).status_code == 404
