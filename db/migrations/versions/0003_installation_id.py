"""installation: this database's id, part of every session workflow id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

from db.migrations import ddl

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    ddl.create_table(
        "installation",
        ddl.integer("singleton", autoincrement=False),
        ddl.string("installation_id", 32),
        ddl.created_at(),
        ddl.pk("singleton"),
        ddl.unique("installation_id"),
    )


def downgrade() -> None:
    ddl.drop_tables("installation")
