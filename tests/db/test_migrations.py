"""The Alembic migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

from db import migrate
from db.base import make_engine
from db.schema import Base

PG_ADMIN_URL = os.environ.get(
    "EC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def empty_db_url(db_url):
    """An empty database of the `db_url` backend, untouched by create_all: for SQLite
    the fixture's fresh file; for PostgreSQL a throwaway database of our own."""
    if db_url.startswith("sqlite"):
        yield db_url
        return
    name = f"ec_migrations_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _differences(url: str) -> list:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _trigger_count(url: str) -> int:
    engine = make_engine(url, poolclass=pool.NullPool)
    query = {
        "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal",
    }[engine.dialect.name]
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def test_upgrade_head_on_empty_database_matches_the_models(empty_db_url):
    revision = migrate.upgrade(empty_db_url)

    assert revision == migrate.head_revision()
    assert _differences(empty_db_url) == []
    assert set(Base.metadata.tables) <= _tables(empty_db_url)


def test_upgrade_is_idempotent(empty_db_url):
    first = migrate.upgrade(empty_db_url)
    assert migrate.upgrade(empty_db_url) == first


def test_migration_installs_the_ledger_triggers(empty_db_url):
    ledger = pytest.importorskip("db.models.ledger")
    if not hasattr(ledger, "ledger_trigger_ddl"):
        pytest.skip("db.models.ledger has no ledger_trigger_ddl yet")
    migrate.upgrade(empty_db_url)
    assert _trigger_count(empty_db_url) > 0


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_db_url):
    migrate.upgrade(empty_db_url)

    assert migrate.downgrade(empty_db_url, "base") is None
    assert _tables(empty_db_url) <= {"alembic_version"}
    assert _trigger_count(empty_db_url) == 0

    migrate.upgrade(empty_db_url)
    assert _differences(empty_db_url) == []
