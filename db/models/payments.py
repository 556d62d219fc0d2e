"""Tables of money that moves after settlement (DOMAIN.md §7–8): how each
invoice is being collected, the payment provider's payments and customers,
bank statement lines as imported, and payouts with their references.

The ledger entries themselves live in `journal_entries` (keys per payment and
status, per statement line, per payout); these tables say what the provider
and the bank reported, so finance can see what moved and what did not.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime, utcnow

__all__ = [
    "BankStatementLine",
    "InvoiceCollection",
    "PaymentCustomer",
    "PayoutRow",
    "ProviderPayment",
]


class InvoiceCollection(Base):
    """One flow being collected from a debtor: its invoices of a period netted
    with their credit notes, keyed by the first number (the end-to-end id of
    the direct debit): open → paid, or failed → retried / reminded → flagged
    to finance (the dunning policy)."""

    __tablename__ = "invoice_collections"
    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    numbers: Mapped[str] = mapped_column(String(500))  # every document in the flow
    period: Mapped[str] = mapped_column(String(7), index=True)
    recipient_ref: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))  # sepa_mandate | mollie | bank_transfer
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|paid|failed|flagged
    failures: Mapped[int] = mapped_column(Integer, default=0)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    last_reason: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PaymentCustomer(Base):
    """An organization as a customer of the payment provider, with its mandate."""

    __tablename__ = "payment_customers"
    organization_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    mandate_id: Mapped[str | None] = mapped_column(String(64))
    mandate_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderPayment(Base):
    """A payment at the provider that collects an invoice, as last fetched."""

    __tablename__ = "provider_payments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_number: Mapped[str] = mapped_column(String(64), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    sequence_type: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    settlement_cents: Mapped[int | None] = mapped_column(BigInteger)
    chargebacks: Mapped[int] = mapped_column(Integer, default=0)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BankStatementLine(Base):
    """One entry of an imported camt.053 statement and what it was matched to.
    Unique per statement and entry reference: importing a statement twice adds
    nothing."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (UniqueConstraint("statement_id", "entry_ref", name="uq_statement_entry"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(64))
    entry_ref: Mapped[str] = mapped_column(String(64))
    booking_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # credit positive, debit negative
    end_to_end_id: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(500))
    counterparty: Mapped[str | None] = mapped_column(String(200))
    return_reason: Mapped[str | None] = mapped_column(String(8))
    # matched (invoice or payout), returned, psp_settlement, unmatched
    outcome: Mapped[str] = mapped_column(String(24))
    matched: Mapped[str | None] = mapped_column(String(500))  # document numbers / payment ids
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutRow(Base):
    """One payout to a payee: its idempotency key (period, payee, attempt), the
    file or provider reference it went out with, and what the bank said."""

    __tablename__ = "payouts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    payee_ref: Mapped[str] = mapped_column(String(64))
    payee_name: Mapped[str] = mapped_column(String(200))
    numbers: Mapped[str] = mapped_column(String(500))  # the documents it pays
    end_to_end_id: Mapped[str] = mapped_column(String(35), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    method: Mapped[str] = mapped_column(String(16))  # pain.001 | mollie
    reference: Mapped[str] = mapped_column(String(500))  # file path or provider id
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | paid | failed
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
