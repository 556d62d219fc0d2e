"""payments

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:39:20.539950

Money that moves: collections per debtor and period, the payment provider"s
customers and payments, imported bank statement lines, payouts with their
references; the payment method per organization.
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
    integer,
    moment,
    pk,
    string,
    unique,
    updated_at,
)

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_table(
        "bank_statement_lines",
        big_id(),
        string("statement_id", 64),
        string("entry_ref", 64),
        column("booking_date", sa.Date()),
        column("amount_cents", sa.BigInteger()),
        string("end_to_end_id", 64, null=True),
        string("reference", 500, null=True),
        string("counterparty", 200, null=True),
        string("return_reason", 8, null=True),
        string("outcome", 24),
        string("matched", 500, null=True),
        created_at(),
        pk(),
        unique("statement_id", "entry_ref", name="uq_statement_entry"),
    )
    create_table(
        "invoice_collections",
        string("number", 64),
        string("numbers", 500),
        string("period", 7),
        string("recipient_ref", 64),
        column("amount_cents", sa.BigInteger()),
        string("method", 16),
        string("status", 16),
        integer("failures"),
        integer("reminders"),
        string("last_reason", 200, null=True),
        column("due_date", sa.Date(), null=True),
        moment("paid_at", null=True),
        updated_at(),
        pk("number"),
        indexes=["period"],
    )
    create_table(
        "payment_customers",
        integer("organization_id"),
        string("provider", 16),
        string("customer_id", 64),
        string("mandate_id", 64, null=True),
        string("mandate_status", 16, null=True),
        created_at(),
        pk("organization_id"),
        unique("customer_id"),
    )
    create_table(
        "payouts",
        big_id(),
        string("idempotency_key", 200),
        string("period", 7),
        string("payee_ref", 64),
        string("payee_name", 200),
        string("numbers", 500),
        string("end_to_end_id", 35),
        column("amount_cents", sa.BigInteger()),
        integer("attempt"),
        string("method", 16),
        string("reference", 500),
        string("status", 16),
        string("failure_reason", 200, null=True),
        created_at(),
        updated_at(),
        pk(),
        unique("idempotency_key"),
        indexes=["end_to_end_id", "period"],
    )
    create_table(
        "provider_payments",
        big_id(),
        string("provider", 16),
        string("payment_id", 64),
        string("invoice_number", 64),
        integer("attempt"),
        string("sequence_type", 16),
        column("amount_cents", sa.BigInteger()),
        string("status", 16),
        column("settlement_cents", sa.BigInteger(), null=True),
        integer("chargebacks"),
        column("refunded_cents", sa.BigInteger()),
        created_at(),
        updated_at(),
        pk(),
        unique("payment_id"),
        indexes=["invoice_number"],
    )
    add_columns("organizations", string("payment_method", 16, null=True))


def downgrade() -> None:
    drop_columns("organizations", "payment_method")
    drop_tables(
        "provider_payments",
        "payouts",
        "payment_customers",
        "invoice_collections",
        "bank_statement_lines",
    )
