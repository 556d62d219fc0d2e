"""ingest node ownership

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:30:00.000000

Several ingest nodes: the socket that owns a charging point's row
(`charging_points.connection_id`) and each node's lease (`ocpp_nodes`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.base import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ocpp_nodes',
    sa.Column('node_id', sa.String(length=100), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('alive_until', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_ocpp_nodes'))
    )
    with op.batch_alter_table('charging_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('connection_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('charging_points', schema=None) as batch_op:
        batch_op.drop_column('connection_id')
    op.drop_table('ocpp_nodes')
