"""The isolation matrix, generated from the app's own route table (its OpenAPI
document), so a new route is covered without touching this file:

* every route with an object id, for every role, answers 404 for objects of
  another partner or customer, and the object is unchanged afterwards;
* every create route refuses parents outside the caller's subtree (404, or 403
  when the role may not create at all) and adds nothing;
* every list shows only rows the caller may see (employees: their own
  suborganization), and filtering by a foreign id finds nothing;
* partner support cannot change money settings.

Who may see what is decided by tests/api/oracle.py (DOMAIN.md §1 row by row),
not by db/scope.py, which is what is under test."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.app import create_app
from api.routes.charging_points import POINTS
from api.routes.money import PLANS, RATES
from api.routes.tree import LOCATIONS, ORGANIZATIONS, PARTNERS
from db import audit
from db.auth import add_api_key
from db.models import (
    AuditEntry,
    ChargingPoint,
    ChargingSession,
    RemoteCommand,
    SubscriptionPlan,
    User,
)
from db.scope import principal_of
from tests.api.conftest import LOGINS, api_settings
from tests.api.oracle import (
    MODEL_OF_FIELD,
    MODEL_OF_SEGMENT,
    foreign_rows,
    foreign_unrelated,
    own_rows,
    sees,
)

ROLES = list(LOGINS)
# Routes about the caller itself, not about an object of the tree.
SELF_ROUTES = {"/api/v1/auth/token", "/api/v1/auth/logout", "/api/v1/auth/me",
               "/api/v1/auth/password", "/api/v1/health", "/api/v1/auth/api-keys"}
# Routes that need no login and touch no object of the tree: Mollie's webhook
# (it fetches the payment's real state from Mollie; tests/payments) and the
# password-reset requests (they say nothing about accounts; tests/mail).
PUBLIC_ROUTES = {"/api/v1/webhooks/mollie", "/api/v1/auth/forgot-password",
                 "/api/v1/auth/reset-password"}


def _route_table() -> dict:
    return create_app(api_settings("sqlite://")).openapi()


OPENAPI = _route_table()
OPERATIONS = [(path, method) for path, ops in OPENAPI["paths"].items() for method in ops
              if path.startswith("/api/v1/")]


def _segment(path: str) -> str:
    parts = path.split("/")
    return "api-keys" if parts[3] == "auth" else parts[3]


ITEM_ROUTES = [(p, m) for p, m in OPERATIONS if "{" in p]
CREATE_ROUTES = [(p, m) for p, m in OPERATIONS
                 if m == "post" and "{" not in p and p not in SELF_ROUTES | PUBLIC_ROUTES]
LIST_ROUTES = [(p, m) for p, m in OPERATIONS
               if m == "get" and "{" not in p and p not in SELF_ROUTES | {"/api/v1/audit"}]


def _schema(ref_or_schema: dict) -> dict:
    if "$ref" in ref_or_schema:
        return OPENAPI["components"]["schemas"][ref_or_schema["$ref"].rsplit("/", 1)[1]]
    return ref_or_schema


def _example_body(path: str, method: str) -> dict | None:
    body = OPENAPI["paths"][path][method].get("requestBody")
    if body is None:
        return None
    schema = _schema(body["content"]["application/json"]["schema"])
    if method == "patch":
        return {}  # every field optional: nothing to validate before the lookup
    examples = schema.get("examples")
    assert examples, f"{path} {method}: the request schema needs an OpenAPI example"
    return dict(examples[0])


def _path_value(path: str, name: str) -> str:
    if name == "action":
        return "request_status"
    if name == "number":
        return "1"
    raise AssertionError(f"{path}: no value for path parameter {name}")


def _fill(path: str, item_id: int) -> str:
    def value(match):
        name = match.group(1)
        return str(item_id) if name in ("item_id", "key_id") else _path_value(path, name)

    return re.sub(r"\{(\w+)\}", value, path)


@pytest.fixture(scope="module")
def matrix_world(world):
    """The demo world plus what it lacks for the matrix: a finished session at
    every charging point and an API key per partner admin."""
    _, factory = world
    with factory() as db:
        start = datetime(2026, 11, 3, 7, tzinfo=UTC)
        for n, cp in enumerate(db.scalars(select(ChargingPoint).order_by(ChargingPoint.id))):
            if cp.location_id is None:
                continue
            db.add(ChargingSession(
                workflow_id=f"matrix-{cp.ocpp_id}", ocpp_id=cp.ocpp_id, transaction_id=str(n),
                charging_point_id=cp.id, connector=1, customer_id=cp.customer_id,
                organization_id=cp.location.organization_id,
                partner_id=cp.location.organization.customer.partner_id, id_tag="X",
                category="free", state="finished", started_at=start,
                stopped_at=start + timedelta(hours=1), energy_wh=5000, snapshot={},
            ))
        for email in (LOGINS["volt_admin"], LOGINS["right_admin"]):
            user = db.scalar(select(User).where(User.email == email))
            add_api_key(db, name="matrix", user_id=user.id, partner_id=user.partner_id)
        db.commit()
    return factory


def _principal(factory, role: str):
    with factory() as db:
        return principal_of(db.scalar(select(User).where(User.email == LOGINS[role])))


def _first_row(factory, role: str, path: str, rows, none_found: str):
    """The model behind `path` and the id of the first of its rows that `rows`
    (foreign_rows or own_rows) gives for `role`; the test is skipped without one."""
    model = MODEL_OF_SEGMENT[_segment(path)]
    who = _principal(factory, role)
    with factory() as db:
        ids = [row.id for row in rows(db, who, model)]
    if not ids:
        pytest.skip(f"{role} {none_found} {model.__name__}")
    return model, ids[0]


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "method"), ITEM_ROUTES, ids=[f"{m} {p}" for p, m in ITEM_ROUTES])
def test_objects_outside_the_subtree_answer_404_and_stay_unchanged(
    client, headers, matrix_world, path, method, role
):
    factory = matrix_world
    model, target_id = _first_row(factory, role, path, foreign_rows, "sees every")
    with factory() as db:
        before = audit.snapshot(db.get(model, target_id))
        counts = (_count(db, AuditEntry), _count(db, RemoteCommand))
    answer = client.request(method.upper(), _fill(path, target_id), headers=headers(role),
                            json=_example_body(path, method))

    assert answer.status_code == 404, answer.text
    assert set(answer.json()["error"]) >= {"code", "message"}
    with factory() as db:
        assert audit.snapshot(db.get(model, target_id)) == before
        assert (_count(db, AuditEntry), _count(db, RemoteCommand)) == counts


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "method"), ITEM_ROUTES, ids=[f"{m} {p}" for p, m in ITEM_ROUTES])
def test_own_objects_are_found(client, headers, matrix_world, path, method, role):
    """The positive control of the matrix: a visible object is not a 404."""
    if method != "get":
        pytest.skip("reads only: changes are covered per resource")
    _, target_id = _first_row(matrix_world, role, path, own_rows, "sees no")
    answer = client.get(_fill(path, target_id), headers=headers(role))
    assert answer.status_code in (200, 422), answer.text  # 422: e.g. a pending point's settings


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", [p for p, _ in CREATE_ROUTES])
def test_creating_under_a_foreign_parent_is_refused_and_adds_nothing(
    client, headers, matrix_world, path, role
):
    factory = matrix_world
    who = _principal(factory, role)
    body = _example_body(path, "post")
    with factory() as db:
        replaced = False
        for field in list(body):
            model = MODEL_OF_FIELD.get(field)
            if model is None:
                continue
            foreign = foreign_rows(db, who, model)
            if foreign:
                body[field] = foreign[0].id
                replaced = True
        segment = _segment(path)
        counted = MODEL_OF_SEGMENT.get(segment, ChargingPoint)
        before = _count(db, counted)
    if not replaced and who.role.value.startswith("platform"):
        pytest.skip("the platform may create anything anywhere")
    answer = client.post(path, headers=headers(role), json=body)

    expected = {403, 404} if replaced else {403}
    assert answer.status_code in expected, answer.text
    with factory() as db:
        assert _count(db, counted) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", [p for p, _ in LIST_ROUTES])
def test_lists_show_only_what_the_role_may_see(client, headers, matrix_world, path, role):
    factory = matrix_world
    model = MODEL_OF_SEGMENT[_segment(path)]
    who = _principal(factory, role)
    answer = client.get(path, headers=headers(role), params={"limit": 200,
                                                             "include_inactive": True})
    assert answer.status_code == 200, answer.text
    ids = [item["id"] for item in answer.json()["items"]]
    with factory() as db:
        expected = [r.id for r in own_rows(db, who, model)]
    assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", [p for p, _ in LIST_ROUTES])
def test_filtering_a_list_by_a_foreign_id_finds_nothing(client, headers, matrix_world, path,
                                                         role):
    factory = matrix_world
    who = _principal(factory, role)
    params = [p["name"] for p in OPENAPI["paths"][path]["get"].get("parameters", [])
              if p["name"] in MODEL_OF_FIELD]
    tried = 0
    for name in params:
        with factory() as db:
            foreign = foreign_unrelated(db, who, MODEL_OF_FIELD[name])
        if not foreign:
            continue
        answer = client.get(path, headers=headers(role), params={name: foreign[0].id})
        assert answer.status_code in (200, 422), answer.text
        if answer.status_code == 200:
            assert answer.json()["items"] == [], (name, answer.json()["items"])
        tried += 1
    if not tried:
        pytest.skip(f"{role} sees every row these filters name")


MONEY_VALUES = {
    "roaming_fee_per_kwh": "0.11", "subscription_kickback_percent": "7", "iban":
    "NL91ABNA0417164300", "vat_id": "NL000099998B57", "rate_inherited": False,
    "compensation_per_kwh": "0.01", "name": "Renamed rate",
}
MONEY_RESOURCES = [PARTNERS, ORGANIZATIONS, LOCATIONS, POINTS, RATES, PLANS]


@pytest.mark.parametrize("resource", MONEY_RESOURCES, ids=lambda r: r.path)
def test_partner_support_cannot_change_money_settings(client, headers, matrix_world, resource):
    factory = matrix_world
    who = _principal(factory, "volt_support")
    with factory() as db:
        rows = own_rows(db, who, resource.model)
        assert rows, f"support should see some {resource.what}"
        target = rows[0]
        before = audit.snapshot(target)
        a_rate = own_rows(db, who, RATES.model)[0].id
        a_plan = db.scalar(select(SubscriptionPlan.id))
    values = {**MONEY_VALUES, "rate_id": a_rate, "subscription_plan_id": a_plan,
              "monthly_fee_cents": 1}
    fields = resource.money_fields or frozenset({"name", "monthly_fee_cents"})
    for field in sorted(fields):
        if field == "tariff":
            continue
        answer = client.patch(f"/api/v1/{resource.path}/{target.id}",
                              headers=headers("volt_support"), json={field: values[field]})
        assert answer.status_code == 403, (field, answer.text)
    with factory() as db:
        assert audit.snapshot(db.get(resource.model, target.id)) == before


def test_employee_sees_only_its_own_suborganization(client, headers, matrix_world):
    factory = matrix_world
    jan = _principal(factory, "jan")
    for path in ("/api/v1/organizations", "/api/v1/locations", "/api/v1/charging-points",
                 "/api/v1/transactions", "/api/v1/users"):
        items = client.get(path, headers=headers("jan")).json()["items"]
        assert items, path
        for item in items:
            org = item["id"] if path.endswith("organizations") else item.get("organization_id")
            if org is None:  # charging points carry their location
                with factory() as db:
                    org = db.get(ChargingPoint, item["id"]).location.organization_id
            assert org == jan.organization_id, (path, item)
    with factory() as db:
        assert sees(db, jan, db.get(User, jan.user_id))
