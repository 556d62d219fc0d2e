"""Schemathesis against the app's own OpenAPI document, logged in, on the demo
world, on SQLite and PostgreSQL: for every operation a bounded number of
generated requests; no answer is a 5xx and every answer matches its documented
schema and content type. Remote actions run against a real Temporal dev server
(the demo's chargers are offline, so their outcome is recorded as such)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api.app import create_app
from energycloud.api_services import make_api_services
from energycloud.settings import Settings
from tests.api.conftest import LOGINS, PASSWORD, SECRET, api_settings

MAX_EXAMPLES = 15
# Operations that end the login the run uses (covered by tests/api/test_auth.py).
EXCLUDED = {("/api/v1/auth/logout", "POST"), ("/api/v1/auth/password", "POST")}
OPERATIONS = [
    (path, method.upper())
    for path, ops in create_app(api_settings("sqlite://")).openapi()["paths"].items()
    for method in ops
    if (path, method.upper()) not in EXCLUDED
]


@pytest.fixture(scope="module")
def fuzz_app(world, temporal_env):
    url, factory = world
    address = temporal_env.client.service_client.config.target_host
    return create_app(
        Settings(database_url=url, temporal_address=address, secret_key=SECRET),
        session_factory=factory,
        services=make_api_services(command_timeout_s=2),
    )


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture(scope="module")
def logins(fuzz_app):
    from fastapi.testclient import TestClient

    with TestClient(fuzz_app) as client:
        return {
            role: {"Authorization": "Bearer " + client.post(
                "/api/v1/auth/token", data={"username": LOGINS[role], "password": PASSWORD}
            ).json()["access_token"]}
            for role in ("platform_admin", "volt_admin")
        }


@pytest.mark.temporal
@pytest.mark.parametrize("role", ["platform_admin", "volt_admin"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_generated_requests_get_no_5xx_and_answers_match_the_schema(
    api_schema, logins, path, method, role
):
    operation = api_schema[path][method]
    headers = logins[role]

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )

    run()
