"""portal auth

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:05:02.379475
"""

from __future__ import annotations

import sqlalchemy as sa

from db.migrations import ddl

revision: str = "0004"
down_revision: str | None = "0003"


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
    ddl.create_table(
        "login_failures",
        ddl.big_id(),
        ddl.string("email", 200),
        ddl.string("ip", 64),
        ddl.moment("failed_at"),
        ddl.pk(),
        indexes=[
            ("ix_login_failures_email_at", ["email", "failed_at"]),
            ("ix_login_failures_ip_at", ["ip", "failed_at"]),
        ],
    )
    ddl.create_table(
        "api_keys",
        ddl.integer("id"),
        ddl.string("name", 200),
        ddl.string("prefix", 16),
        ddl.string("key_hash", 64),
        ddl.integer("user_id"),
        ddl.integer("partner_id", null=True),
        ddl.column("active", sa.Boolean()),
        ddl.created_at(),
        ddl.moment("last_used_at", null=True),
        ddl.moment("revoked_at", null=True),
        ddl.fk("partner_id", "partners"),
        ddl.fk("user_id", "users"),
        ddl.pk(),
        ddl.unique("key_hash"),
        indexes=["partner_id", "prefix", "user_id"],
    )
    ddl.create_table(
        "api_tokens",
        ddl.big_id(),
        ddl.string("token_hash", 64),
        ddl.integer("user_id"),
        ddl.created_at(),
        ddl.moment("expires_at"),
        ddl.fk("user_id", "users"),
        ddl.pk(),
        ddl.unique("token_hash"),
        indexes=["user_id"],
    )
    ddl.create_table(
        "audit_log",
        ddl.big_id(),
        ddl.moment("at"),
        ddl.integer("user_id", null=True),
        ddl.string("actor", 200),
        ddl.string("action", 64),
        ddl.string("object_type", 64),
        ddl.string("object_id", 64),
        ddl.integer("partner_id", null=True),
        ddl.integer("customer_id", null=True),
        ddl.integer("organization_id", null=True),
        ddl.column("before", sa.JSON(), null=True),
        ddl.column("after", sa.JSON(), null=True),
        ddl.fk("user_id", "users"),
        ddl.pk(),
        indexes=[
            "at",
            "customer_id",
            ("ix_audit_log_object", ["object_type", "object_id"]),
            "organization_id",
            "partner_id",
            "user_id",
        ],
    )
    ddl.create_table(
        "portal_sessions",
        ddl.big_id(),
        ddl.string("token_hash", 64),
        ddl.string("csrf_token", 64),
        ddl.integer("user_id"),
        ddl.string("user_agent", 300),
        ddl.string("ip", 64),
        ddl.created_at(),
        ddl.moment("last_seen_at"),
        ddl.moment("expires_at"),
        ddl.fk("user_id", "users"),
        ddl.pk(),
        ddl.unique("token_hash"),
        indexes=["user_id"],
    )
    # Deactivation (REST `POST .../deactivate`) keeps the row and clears this flag.
    for table in DEACTIVATABLE:
        ddl.add_columns(table, ddl.column("active", sa.Boolean(), server_default=sa.true()))


def downgrade() -> None:
    for table in DEACTIVATABLE:
        ddl.drop_columns(table, "active")
    ddl.drop_tables("portal_sessions", "audit_log", "api_tokens", "api_keys", "login_failures")
