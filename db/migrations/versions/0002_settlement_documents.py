"""settlement documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:21:01.039627

Settlement periods, issued documents (immutable, enforced by triggers), gap-free
number sequences, sessions settled per period; SEPA mandates and the platform locale.
"""

from __future__ import annotations

import sqlalchemy as sa

from db.migrations import ddl
from db.models import documents

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    ddl.create_table(
        "document_sequences",
        ddl.string("issuer_ref", 64),
        ddl.string("series", 16),
        ddl.integer("year"),
        ddl.column("last_number", sa.BigInteger()),
        ddl.pk("issuer_ref", "series", "year"),
    )
    ddl.create_table(
        "issued_documents",
        ddl.big_id(),
        ddl.string("period", 7),
        ddl.string("document_key", 200),
        ddl.string("kind", 32),
        ddl.string("direction", 24),
        ddl.string("number", 64),
        ddl.string("issuer_ref", 64),
        ddl.string("series", 16),
        ddl.integer("year"),
        ddl.column("sequence_number", sa.BigInteger()),
        ddl.string("recipient_ref", 64),
        ddl.string("recipient_name", 200),
        ddl.column("issue_date", sa.Date()),
        ddl.column("due_date", sa.Date(), null=True),
        ddl.column("content", sa.JSON()),
        ddl.string("content_sha256", 64),
        ddl.column("net_cents", sa.BigInteger()),
        ddl.column("vat_cents", sa.BigInteger()),
        ddl.column("total_cents", sa.BigInteger()),
        ddl.string("currency", 3),
        ddl.string("corrects_number", 64, null=True),
        ddl.string("pdf_path", 500, null=True),
        ddl.string("pdf_sha256", 64, null=True),
        ddl.moment("issued_at"),
        ddl.check("total", "total_cents = net_cents + vat_cents"),
        ddl.pk(),
        ddl.unique(
            "issuer_ref", "series", "year", "sequence_number", name="uq_issued_documents_sequence"
        ),
        ddl.unique("number"),
        ddl.unique("period", "document_key", name="uq_issued_documents_period_key"),
        indexes=["period", "recipient_ref"],
    )
    ddl.create_table(
        "period_sessions",
        ddl.string("workflow_id", 200),
        ddl.string("period", 7),
        ddl.column("late", sa.Boolean()),
        ddl.created_at(),
        ddl.pk("workflow_id"),
        indexes=["period"],
    )
    ddl.create_table(
        "settlement_periods",
        ddl.integer("id"),
        ddl.string("period", 7),
        ddl.string("state", 24),
        ddl.string("workflow_id", 200, null=True),
        ddl.integer("runs"),
        ddl.moment("computed_at", null=True),
        ddl.moment("issued_at", null=True),
        ddl.string("approved_by", 200, null=True),
        ddl.moment("approved_at", null=True),
        ddl.string("rejected_by", 200, null=True),
        ddl.moment("rejected_at", null=True),
        ddl.string("rejection_reason", 1000, null=True),
        ddl.moment("payouts_released_at", null=True),
        ddl.moment("settled_at", null=True),
        ddl.string("blocked_reason", 2000, null=True),
        ddl.created_at(),
        ddl.updated_at(),
        ddl.check(
            "state",
            "state IN ('open', 'computed', 'issued', 'awaiting_approval', 'approved', 'payouts_released', 'settled')",  # noqa: E501
        ),
        ddl.pk(),
        ddl.unique("period"),
    )
    ddl.add_columns(
        "organizations",
        ddl.string("sepa_mandate_id", 35, null=True),
        ddl.column("sepa_mandate_signed_on", sa.Date(), null=True),
    )
    ddl.add_columns(
        "platform_settings",
        ddl.string("locale", 16, server_default="nl_NL"),
        ddl.string("sepa_creditor_id", 35, null=True),
    )
    # The issued documents' immutability triggers (db/models/documents.py), so the
    # database itself refuses to change or delete an issued document.
    ddl.execute_for_dialect(documents.document_trigger_ddl)


def downgrade() -> None:
    ddl.execute_for_dialect(documents.document_trigger_drop_ddl)
    ddl.drop_columns("platform_settings", "sepa_creditor_id", "locale")
    ddl.drop_columns("organizations", "sepa_mandate_signed_on", "sepa_mandate_id")
    ddl.drop_tables(
        "settlement_periods", "period_sessions", "issued_documents", "document_sequences"
    )
