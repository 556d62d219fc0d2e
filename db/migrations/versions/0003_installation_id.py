"""installation: this database's id, part of every session workflow id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.base import UTCDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("singleton", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("installation_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_installation")),
        sa.UniqueConstraint("installation_id", name=op.f("uq_installation_installation_id")),
    )


def downgrade() -> None:
    op.drop_table("installation")
