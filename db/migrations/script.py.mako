"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""
# Generated: long SQL expressions stay on one line.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}
% if not down_revision:


def _ledger_statements(name: str) -> list[str]:
    """The ledger's trigger DDL (db/models/ledger.py: `ledger_trigger_ddl` and
    `ledger_trigger_drop_ddl`), so the database itself refuses unbalanced or
    changed journal entries. Empty while that module or function does not exist."""
    try:
        from db.models import ledger
    except ImportError:
        return []
    statements = getattr(ledger, name, None)
    return list(statements(op.get_bind().dialect.name)) if statements else []
% endif


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
% if not down_revision:
    for statement in _ledger_statements("ledger_trigger_ddl"):
        op.execute(statement)
% endif


def downgrade() -> None:
% if not down_revision:
    for statement in _ledger_statements("ledger_trigger_drop_ddl"):
        op.execute(statement)
% endif
    ${downgrades if downgrades else "pass"}
