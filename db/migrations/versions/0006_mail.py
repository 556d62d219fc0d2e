"""mail

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:38:39.067380

Mail deliveries of issued documents and their events, single-use account
tokens (invitations, password resets), and a billing e-mail per partner.
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
    one_of,
    pk,
    string,
    unique,
    updated_at,
)

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "mail_deliveries",
        big_id(),
        string("key", 120),
        string("document_number", 64),
        integer("sequence"),
        string("period", 7),
        string("recipient_ref", 64),
        string("recipient_name", 200),
        string("to_address", 320, null=True),
        string("status", 24),
        integer("attempts"),
        column("last_error", sa.Text(), null=True),
        string("message_id", 200, null=True),
        string("requested_by", 200),
        created_at(),
        moment("sent_at", null=True),
        updated_at(),
        one_of(
            "status",
            (
                "queued",
                "sending",
                "sent",
                "failed_temporary",
                "failed_permanent",
                "no_address",
                "unconfirmed",
            ),
        ),
        fk(["document_number"], "issued_documents", ["number"]),
        pk(),
        unique("key"),
        indexes=["document_number", "period", "status"],
    )
    create_table(
        "mail_delivery_events",
        big_id(),
        big_id("delivery_id"),
        string("event", 32),
        string("by", 200, null=True),
        column("detail", sa.Text(), null=True),
        moment("at"),
        fk("delivery_id", "mail_deliveries"),
        pk(),
        indexes=["delivery_id"],
    )
    create_table(
        "account_tokens",
        big_id(),
        integer("user_id"),
        string("purpose", 24),
        string("token_sha256", 64),
        string("created_by", 200, null=True),
        created_at(),
        moment("expires_at"),
        moment("used_at", null=True),
        one_of("purpose", ("invitation", "password_reset")),
        fk("user_id", "users"),
        pk(),
        unique("token_sha256"),
        indexes=["user_id"],
    )
    add_columns("partners", string("billing_email", 200, null=True))


def downgrade() -> None:
    drop_columns("partners", "billing_email")
    drop_tables("account_tokens", "mail_delivery_events", "mail_deliveries")
