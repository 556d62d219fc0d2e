"""ingest node ownership: several ingest nodes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:30:00

The socket that owns a charging point's row (`charging_points.connection_id`)
and each ingest node's lease (`ocpp_nodes`).
"""

from __future__ import annotations

from db.migrations import ddl

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    ddl.create_table(
        "ocpp_nodes",
        ddl.string("node_id", 100),
        ddl.moment("started_at"),
        ddl.moment("alive_until"),
        ddl.pk("node_id"),
    )
    ddl.add_columns("charging_points", ddl.string("connection_id", 64, null=True))


def downgrade() -> None:
    ddl.drop_columns("charging_points", "connection_id")
    ddl.drop_tables("ocpp_nodes")
