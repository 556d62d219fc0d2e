"""The API on the demo world (db.demo): an app per backend, logins per role.

The world is loaded once per test module and backend; tests that change it
either restore nothing they rely on or use the function-scoped `fresh`
fixture."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from db.base import make_engine, make_sessionmaker
from db.demo import load_demo_data
from db.models import User
from db.schema import reset_schema
from energycloud.settings import Settings
from tests.helpers import free_port

PASSWORD = "demo"
SECRET = "test-secret-key-not-the-placeholder"

# The roles of the isolation matrix: e-mail of the demo user per name.
LOGINS = {
    "platform_admin": "admin@energycloud.example",
    "platform_finance": "finance@energycloud.example",
    "volt_admin": "admin@voltpartners.example",
    "volt_support": "support@voltpartners.example",
    "right_admin": "admin@chargeright.example",
    "acme_admin": "admin@acme.example",
    "jan": "jan@acme.example",
}


def api_settings(db_url: str, **extra) -> Settings:
    return Settings(
        database_url=db_url, temporal_address=f"127.0.0.1:{free_port()}",
        secret_key=SECRET, **extra,
    )


def world_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('world') / 'world.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """(db url, session factory) of a freshly loaded demo world, with October's
    documents issued and its settlement period awaiting approval."""
    url = world_url(request, tmp_path_factory)
    engine = make_engine(url)
    reset_schema(engine)
    factory = make_sessionmaker(engine)
    load_demo_data(factory, password=PASSWORD)
    issue_october_documents(factory)
    yield url, factory
    engine.dispose()


@pytest.fixture(scope="module")
def app(world):
    url, factory = world
    return create_app(api_settings(url), session_factory=factory)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def fresh(db_url, session_factory):
    """A client on a demo world of its own, for a test that changes the world."""
    load_demo_data(session_factory, password=PASSWORD)
    app = create_app(api_settings(db_url), session_factory=session_factory)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def token_for(client: TestClient, email: str, password: str = PASSWORD) -> str:
    answer = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.fixture(scope="module")
def headers(client):
    """Authorization headers per role name of LOGINS (logged in once per module)."""
    cache: dict[str, dict] = {}

    def for_role(name: str) -> dict:
        if name not in cache:
            cache[name] = {"Authorization": f"Bearer {token_for(client, LOGINS[name])}"}
        return cache[name]

    return for_role


def user_id(factory, email: str) -> int:
    with factory() as db:
        return db.scalar(select(User.id).where(User.email == email))


def issue_october_documents(factory) -> None:
    """The October sample documents of SCENARIOS.md (invoices.samples), their
    recipients pointed at the demo world's rows, issued into the database, and
    the period awaiting finance's approval."""
    from dataclasses import replace

    from db.documents import issue_documents
    from db.models import Emsp, Organization, Partner, SettlementPeriod
    from invoices.samples import ISSUED_ON, october_documents

    with factory() as db:
        ids = {"organization": {o.name: o.id for o in db.scalars(select(Organization))},
               "emsp": {e.name: e.id for e in db.scalars(select(Emsp))},
               "partner": {p.name: p.id for p in db.scalars(select(Partner))}}

    def demo_id(party) -> int:
        names = ids[party.kind.value]
        return next(i for name, i in names.items() if party.name.startswith(name))

    documents = [replace(d.document, recipient=replace(d.document.recipient,
                                                       id=demo_id(d.document.recipient)))
                 for d in october_documents().values() if d.document.period == "2026-10"]
    issue_documents(factory, period="2026-10", documents=documents, issue_date=ISSUED_ON)
    with factory() as db:
        db.add(SettlementPeriod(period="2026-10", state="awaiting_approval", runs=1))
        db.commit()
