"""installation: this database"s id, part of every session workflow id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from db.migrations.ddl import (
    create_table,
    created_at,
    drop_tables,
    integer,
    pk,
    string,
    unique,
)

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "installation",
        integer("singleton", autoincrement=False),
        string("installation_id", 32),
        created_at(),
        pk("singleton"),
        unique("installation_id"),
    )


def downgrade() -> None:
    drop_tables("installation")
