"""settlement documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:21:01.039627

Settlement periods, issued documents (immutable, enforced by triggers), gap-free
number sequences, sessions settled per period; SEPA mandates and the platform locale.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from db.migrations.ddl import (
    add_columns,
    big_id,
    check,
    column,
    create_table,
    created_at,
    drop_columns,
    drop_tables,
    execute_for_dialect,
    integer,
    moment,
    one_of,
    pk,
    string,
    unique,
    updated_at,
)
from db.models import documents

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "document_sequences",
        string("issuer_ref", 64),
        string("series", 16),
        integer("year"),
        column("last_number", sa.BigInteger()),
        pk("issuer_ref", "series", "year"),
    )
    create_table(
        "issued_documents",
        big_id(),
        string("period", 7),
        string("document_key", 200),
        string("kind", 32),
        string("direction", 24),
        string("number", 64),
        string("issuer_ref", 64),
        string("series", 16),
        integer("year"),
        column("sequence_number", sa.BigInteger()),
        string("recipient_ref", 64),
        string("recipient_name", 200),
        column("issue_date", sa.Date()),
        column("due_date", sa.Date(), null=True),
        column("content", sa.JSON()),
        string("content_sha256", 64),
        column("net_cents", sa.BigInteger()),
        column("vat_cents", sa.BigInteger()),
        column("total_cents", sa.BigInteger()),
        string("currency", 3),
        string("corrects_number", 64, null=True),
        string("pdf_path", 500, null=True),
        string("pdf_sha256", 64, null=True),
        moment("issued_at"),
        check("total", "total_cents = net_cents + vat_cents"),
        pk(),
        unique(
            "issuer_ref", "series", "year", "sequence_number", name="uq_issued_documents_sequence"
        ),
        unique("number"),
        unique("period", "document_key", name="uq_issued_documents_period_key"),
        indexes=["period", "recipient_ref"],
    )
    create_table(
        "period_sessions",
        string("workflow_id", 200),
        string("period", 7),
        column("late", sa.Boolean()),
        created_at(),
        pk("workflow_id"),
        indexes=["period"],
    )
    create_table(
        "settlement_periods",
        integer("id"),
        string("period", 7),
        string("state", 24),
        string("workflow_id", 200, null=True),
        integer("runs"),
        moment("computed_at", null=True),
        moment("issued_at", null=True),
        string("approved_by", 200, null=True),
        moment("approved_at", null=True),
        string("rejected_by", 200, null=True),
        moment("rejected_at", null=True),
        string("rejection_reason", 1000, null=True),
        moment("payouts_released_at", null=True),
        moment("settled_at", null=True),
        string("blocked_reason", 2000, null=True),
        created_at(),
        updated_at(),
        one_of(
            "state",
            (
                "open",
                "computed",
                "issued",
                "awaiting_approval",
                "approved",
                "payouts_released",
                "settled",
            ),
        ),
        pk(),
        unique("period"),
    )
    add_columns(
        "organizations",
        string("sepa_mandate_id", 35, null=True),
        column("sepa_mandate_signed_on", sa.Date(), null=True),
    )
    add_columns(
        "platform_settings",
        string("locale", 16, server_default="nl_NL"),
        string("sepa_creditor_id", 35, null=True),
    )
    # The issued documents' immutability triggers (db/models/documents.py), so the
    # database itself refuses to change or delete an issued document.
    execute_for_dialect(documents.document_trigger_ddl)


def downgrade() -> None:
    execute_for_dialect(documents.document_trigger_drop_ddl)
    drop_columns("platform_settings", "sepa_creditor_id", "locale")
    drop_columns("organizations", "sepa_mandate_signed_on", "sepa_mandate_id")
    drop_tables("settlement_periods", "period_sessions", "issued_documents", "document_sequences")
