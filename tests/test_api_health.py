"""The API skeleton: health, OpenAPI document, errors without stack traces."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from energycloud.settings import Settings
from tests.helpers import free_port


@pytest.fixture
def settings(db_url):
    # Nothing listens on the Temporal address: health must say so, not fail.
    return Settings(
        database_url=db_url, temporal_address=f"127.0.0.1:{free_port()}",
        secret_key="test-secret-key",
    )


@pytest.fixture
def client(settings, session_factory):
    app = create_app(settings, session_factory=session_factory)

    @app.get("/api/v1/_boom", include_in_schema=False)
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_health_reports_database_ok_and_temporal_unreachable(client):
    response = client.get("/api/v1/health")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["temporal"] == "unreachable"
    assert body["status"] == "degraded"
    assert body["platform"] == "Energy Cloud"
    assert body["version"]


async def test_health_reports_temporal_ok_when_it_serves(temporal_env, session_factory, db_url):
    import httpx

    address = temporal_env.client.service_client.config.target_host
    app = create_app(
        Settings(database_url=db_url, temporal_address=address, secret_key="test-secret-key"),
        session_factory=session_factory,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        body = (await http.get("/api/v1/health")).json()

    assert body["temporal"] == "ok"
    assert body["status"] == "ok"


def test_health_is_503_when_the_database_does_not_answer(settings, tmp_path):
    from db.base import make_engine, make_sessionmaker

    # A directory is not a database file: every query fails.
    broken = make_sessionmaker(make_engine(f"sqlite:///{tmp_path}"))
    app = create_app(settings, session_factory=broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/health")

    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_openapi_document_describes_the_platform(client):
    document = client.get("/openapi.json").json()

    assert document["info"]["title"] == "Energy Cloud"
    assert document["info"]["version"]
    assert "/api/v1/health" in document["paths"]
    assert client.get("/docs").status_code == 200


def test_unhandled_error_is_500_json_without_stack_trace(client, caplog):
    response = client.get("/api/v1/_boom")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "was logged" in response.json()["error"]["message"]
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "hunter2" in caplog.text  # the operator still sees it


def test_unknown_route_is_a_404_in_the_error_shape(client):
    response = client.get("/api/v1/nope")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "There is nothing at /api/v1/nope."}
    }
