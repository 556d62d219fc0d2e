"""Triggers by which the database itself guards a table's rows, on SQLite and
PostgreSQL alike (the ledger's journal entries, issued documents).

A `Triggers` is created with its table by `create_all` (`attach`) and hands the
same statements to the Alembic migration that installs them (`ddl`); the
statements that remove them again (`drop_ddl`) follow from their names. The
statements contain no `%` and no `:name` so they survive any SQL text layer.
"""

from __future__ import annotations

import re

from sqlalchemy import DDL, Table, event

__all__ = ["Triggers", "sqlite_refusal"]

_TRIGGER = re.compile(r"CREATE TRIGGER (\w+) .*? ON (\w+)", re.DOTALL)
_FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(")


def sqlite_refusal(name: str, event_name: str, table: str, message: str, when: str = "") -> str:
    """A SQLite trigger that aborts `event_name` ("UPDATE", ...) on `table` with
    `message`, always or only `when` the condition holds."""
    condition = f"\nWHEN {when}" if when else ""
    return f"""
CREATE TRIGGER {name} BEFORE {event_name} ON {table}{condition}
BEGIN
  SELECT RAISE(ABORT, '{message}');
END
"""


class Triggers:
    """The statements creating one guard's triggers (and the functions they call),
    per dialect name."""

    def __init__(self, what: str, create: dict[str, list[str]]) -> None:
        self._what = what
        self._create = create

    def ddl(self, dialect_name: str) -> list[str]:
        """The statements creating the triggers (and their functions)."""
        return [statement.strip() for statement in self._for(dialect_name)]

    def drop_ddl(self, dialect_name: str) -> list[str]:
        """The statements removing them again (an Alembic downgrade): the triggers,
        then the functions they call, the last created first."""
        triggers, functions = [], []
        for statement in reversed(self._for(dialect_name)):
            if function := _FUNCTION.search(statement):
                functions.append(f"DROP FUNCTION IF EXISTS {function[1]}()")
            elif trigger := _TRIGGER.search(statement):
                # PostgreSQL names a trigger per table; SQLite per database.
                on = f" ON {trigger[2]}" if dialect_name == "postgresql" else ""
                triggers.append(f"DROP TRIGGER IF EXISTS {trigger[1]}{on}")
        return triggers + functions

    def attach(self, table: Table) -> None:
        """Create the triggers right after `table` (and only on their dialect)."""
        for dialect, statements in self._create.items():
            for statement in statements:
                event.listen(
                    table, "after_create", DDL(statement.strip()).execute_if(dialect=dialect)
                )

    def _for(self, dialect_name: str) -> list[str]:
        try:
            return self._create[dialect_name]
        except KeyError:
            raise ValueError(f"no {self._what} triggers for dialect {dialect_name!r}") from None
