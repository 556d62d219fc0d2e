"""portal auth

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:05:02.379475
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.ddl import (
    add_columns,
    big_id,
    column,
    create_table,
    created_at,
    drop_columns,
    drop_tables,
    fk,
    integer,
    moment,
    pk,
    string,
    unique,
)

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DEACTIVATABLE = (
    "partners",
    "customers",
    "rates",
    "subscription_plans",
    "emsps",
    "organizations",
    "locations",
)


def upgrade() -> None:
    create_table(
        "login_failures",
        big_id(),
        string("email", 200),
        string("ip", 64),
        moment("failed_at"),
        pk(),
        indexes=[
            ("ix_login_failures_email_at", ["email", "failed_at"]),
            ("ix_login_failures_ip_at", ["ip", "failed_at"]),
        ],
    )
    create_table(
        "api_keys",
        integer("id"),
        string("name", 200),
        string("prefix", 16),
        string("key_hash", 64),
        integer("user_id"),
        integer("partner_id", null=True),
        column("active", sa.Boolean()),
        created_at(),
        moment("last_used_at", null=True),
        moment("revoked_at", null=True),
        fk("partner_id", "partners"),
        fk("user_id", "users"),
        pk(),
        unique("key_hash"),
        indexes=["partner_id", "prefix", "user_id"],
    )
    create_table(
        "api_tokens",
        big_id(),
        string("token_hash", 64),
        integer("user_id"),
        created_at(),
        moment("expires_at"),
        fk("user_id", "users"),
        pk(),
        unique("token_hash"),
        indexes=["user_id"],
    )
    create_table(
        "audit_log",
        big_id(),
        moment("at"),
        integer("user_id", null=True),
        string("actor", 200),
        string("action", 64),
        string("object_type", 64),
        string("object_id", 64),
        integer("partner_id", null=True),
        integer("customer_id", null=True),
        integer("organization_id", null=True),
        column("before", sa.JSON(), null=True),
        column("after", sa.JSON(), null=True),
        fk("user_id", "users"),
        pk(),
        indexes=[
            "at",
            "customer_id",
            ("ix_audit_log_object", ["object_type", "object_id"]),
            "organization_id",
            "partner_id",
            "user_id",
        ],
    )
    create_table(
        "portal_sessions",
        big_id(),
        string("token_hash", 64),
        string("csrf_token", 64),
        integer("user_id"),
        string("user_agent", 300),
        string("ip", 64),
        created_at(),
        moment("last_seen_at"),
        moment("expires_at"),
        fk("user_id", "users"),
        pk(),
        unique("token_hash"),
        indexes=["user_id"],
    )
    # Deactivation (REST `POST .../deactivate`) keeps the row and clears this flag.
    for table in DEACTIVATABLE:
        add_columns(table, column("active", sa.Boolean(), server_default=sa.true()))


def downgrade() -> None:
    for table in DEACTIVATABLE:
        drop_columns(table, "active")
    drop_tables("portal_sessions", "audit_log", "api_tokens", "api_keys", "login_failures")
