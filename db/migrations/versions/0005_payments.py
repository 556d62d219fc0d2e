"""payments

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:39:20.539950

Money that moves: collections per debtor and period, the payment provider's
customers and payments, imported bank statement lines, payouts with their
references; the payment method per organization.
"""

from __future__ import annotations

import sqlalchemy as sa

from db.migrations import ddl

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    ddl.create_table(
        "bank_statement_lines",
        ddl.big_id(),
        ddl.string("statement_id", 64),
        ddl.string("entry_ref", 64),
        ddl.column("booking_date", sa.Date()),
        ddl.column("amount_cents", sa.BigInteger()),
        ddl.string("end_to_end_id", 64, null=True),
        ddl.string("reference", 500, null=True),
        ddl.string("counterparty", 200, null=True),
        ddl.string("return_reason", 8, null=True),
        ddl.string("outcome", 24),
        ddl.string("matched", 500, null=True),
        ddl.created_at(),
        ddl.pk(),
        ddl.unique("statement_id", "entry_ref", name="uq_statement_entry"),
    )
    ddl.create_table(
        "invoice_collections",
        ddl.string("number", 64),
        ddl.string("numbers", 500),
        ddl.string("period", 7),
        ddl.string("recipient_ref", 64),
        ddl.column("amount_cents", sa.BigInteger()),
        ddl.string("method", 16),
        ddl.string("status", 16),
        ddl.integer("failures"),
        ddl.integer("reminders"),
        ddl.string("last_reason", 200, null=True),
        ddl.column("due_date", sa.Date(), null=True),
        ddl.moment("paid_at", null=True),
        ddl.updated_at(),
        ddl.pk("number"),
        indexes=["period"],
    )
    ddl.create_table(
        "payment_customers",
        ddl.integer("organization_id"),
        ddl.string("provider", 16),
        ddl.string("customer_id", 64),
        ddl.string("mandate_id", 64, null=True),
        ddl.string("mandate_status", 16, null=True),
        ddl.created_at(),
        ddl.pk("organization_id"),
        ddl.unique("customer_id"),
    )
    ddl.create_table(
        "payouts",
        ddl.big_id(),
        ddl.string("idempotency_key", 200),
        ddl.string("period", 7),
        ddl.string("payee_ref", 64),
        ddl.string("payee_name", 200),
        ddl.string("numbers", 500),
        ddl.string("end_to_end_id", 35),
        ddl.column("amount_cents", sa.BigInteger()),
        ddl.integer("attempt"),
        ddl.string("method", 16),
        ddl.string("reference", 500),
        ddl.string("status", 16),
        ddl.string("failure_reason", 200, null=True),
        ddl.created_at(),
        ddl.updated_at(),
        ddl.pk(),
        ddl.unique("idempotency_key"),
        indexes=["end_to_end_id", "period"],
    )
    ddl.create_table(
        "provider_payments",
        ddl.big_id(),
        ddl.string("provider", 16),
        ddl.string("payment_id", 64),
        ddl.string("invoice_number", 64),
        ddl.integer("attempt"),
        ddl.string("sequence_type", 16),
        ddl.column("amount_cents", sa.BigInteger()),
        ddl.string("status", 16),
        ddl.column("settlement_cents", sa.BigInteger(), null=True),
        ddl.integer("chargebacks"),
        ddl.column("refunded_cents", sa.BigInteger()),
        ddl.created_at(),
        ddl.updated_at(),
        ddl.pk(),
        ddl.unique("payment_id"),
        indexes=["invoice_number"],
    )
    ddl.add_columns("organizations", ddl.string("payment_method", 16, null=True))


def downgrade() -> None:
    ddl.drop_columns("organizations", "payment_method")
    ddl.drop_tables(
        "provider_payments",
        "payouts",
        "payment_customers",
        "invoice_collections",
        "bank_statement_lines",
    )
