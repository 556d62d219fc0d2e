"""Alembic environment: migrates the platform database (SQLite or PostgreSQL).

The connection comes, in this order, from `config.attributes["connection"]`
(db/migrate.py shares one it opened), `-x url=...`, `sqlalchemy.url` in the ini
file, or DATABASE_URL through energycloud.settings."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base, make_engine

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and not config.attributes.get("connection"):
    # Only when run by the `alembic` tool: the platform configures logging itself.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(type_, obj, autogen_context):
    """Render the platform's own column types (db/base.py) by name, with their import,
    instead of `db.base.UTCDateTime(timezone=True)`."""
    if type_ == "type" and type(obj).__module__ == "db.base":
        name = type(obj).__name__
        autogen_context.imports.add(f"from db.base import {name}")
        return f"{name}()"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        render_item=render_item,
        **kwargs,
    )


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    # Run from the alembic command line without -x url: the environment names the
    # database (`energycloud migrate` passes the URL from the platform settings).
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("give -x url=... or set DATABASE_URL (or run `energycloud migrate`)")
    return url


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    _configure(url=_database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:
        _configure(connection=shared)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
