"""drop indexes a unique constraint already gives

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:40:00

`meter_values`, `connectors` and `ocpp_transactions` each had an index on
`charging_point_id` beside a unique constraint whose first column is
`charging_point_id`: the constraint's index answers the same lookups, and every
insert (the ingest writes meter values by the thousand a second) no longer
maintains a second one.
"""

from __future__ import annotations

from db.migrations import ddl

revision: str = "0008"
down_revision: str | None = "0007"

TABLES = ("meter_values", "connectors", "ocpp_transactions")


def upgrade() -> None:
    for table in TABLES:
        ddl.drop_indexes(table, "charging_point_id")


def downgrade() -> None:
    for table in TABLES:
        ddl.add_indexes(table, "charging_point_id")
