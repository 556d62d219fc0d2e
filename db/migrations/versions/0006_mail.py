"""mail

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:38:39.067380

Mail deliveries of issued documents and their events, single-use account
tokens (invitations, password resets), and a billing e-mail per partner.
"""

from __future__ import annotations

import sqlalchemy as sa

from db.migrations import ddl

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    ddl.create_table(
        "mail_deliveries",
        ddl.big_id(),
        ddl.string("key", 120),
        ddl.string("document_number", 64),
        ddl.integer("sequence"),
        ddl.string("period", 7),
        ddl.string("recipient_ref", 64),
        ddl.string("recipient_name", 200),
        ddl.string("to_address", 320, null=True),
        ddl.string("status", 24),
        ddl.integer("attempts"),
        ddl.column("last_error", sa.Text(), null=True),
        ddl.string("message_id", 200, null=True),
        ddl.string("requested_by", 200),
        ddl.created_at(),
        ddl.moment("sent_at", null=True),
        ddl.updated_at(),
        ddl.one_of(
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
        ddl.fk(["document_number"], "issued_documents", ["number"]),
        ddl.pk(),
        ddl.unique("key"),
        indexes=["document_number", "period", "status"],
    )
    ddl.create_table(
        "mail_delivery_events",
        ddl.big_id(),
        ddl.big_id("delivery_id"),
        ddl.string("event", 32),
        ddl.string("by", 200, null=True),
        ddl.column("detail", sa.Text(), null=True),
        ddl.moment("at"),
        ddl.fk("delivery_id", "mail_deliveries"),
        ddl.pk(),
        indexes=["delivery_id"],
    )
    ddl.create_table(
        "account_tokens",
        ddl.big_id(),
        ddl.integer("user_id"),
        ddl.string("purpose", 24),
        ddl.string("token_sha256", 64),
        ddl.string("created_by", 200, null=True),
        ddl.created_at(),
        ddl.moment("expires_at"),
        ddl.moment("used_at", null=True),
        ddl.one_of("purpose", ("invitation", "password_reset")),
        ddl.fk("user_id", "users"),
        ddl.pk(),
        ddl.unique("token_sha256"),
        indexes=["user_id"],
    )
    ddl.add_columns("partners", ddl.string("billing_email", 200, null=True))


def downgrade() -> None:
    ddl.drop_columns("partners", "billing_email")
    ddl.drop_tables("account_tokens", "mail_delivery_events", "mail_deliveries")
