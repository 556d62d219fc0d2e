"""Creating and resetting the schema outside Alembic (tests, throwaway databases).

Production databases are migrated with Alembic (`energycloud migrate`); a test in
tests/db/test_migrations.py proves the migrations produce exactly these models."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from db import models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)


def reset_schema(engine: Engine) -> None:
    """Drop everything and create it again: an empty database with the current schema."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        Base.metadata.drop_all(engine)
    create_schema(engine)
