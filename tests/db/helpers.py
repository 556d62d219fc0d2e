"""Helpers for database tests."""

from __future__ import annotations

from sqlalchemy import text

from db.base import transaction


def without_guards(factory, table: str, sqlite_triggers: list[str], pg_trigger: str, stmt):
    """Tamper behind the database's back (as an attacker with DDL rights would)."""
    with transaction(factory) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {pg_trigger}"))
            s.execute(stmt)
            s.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {pg_trigger}"))
        else:
            for name in sqlite_triggers:
                s.execute(text(f"DROP TRIGGER {name}"))
            s.execute(stmt)
