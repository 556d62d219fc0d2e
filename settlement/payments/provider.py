"""The payment-provider interface: what the platform asks of whoever moves
its money. Two implementations: `MollieProvider` (mollie.py: customers,
mandates, first and recurring payments, refunds, payment state) and the
embedded SEPA files (sepa_files.py: pain.008 / pain.001 that finance uploads,
and the camt.053 statement that says what happened).

A provider never touches the ledger: it says what happened (`PspPayment`), and
`db/payments.py` turns that into entries keyed per payment and status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from domain.payments import PspPayment

__all__ = ["CollectionRequest", "PaymentProvider", "ProviderError", "ProviderUnavailable",
           "UnknownPayment"]


class ProviderError(RuntimeError):
    """The provider refused a request (its error object's title and detail)."""


class ProviderUnavailable(ProviderError):
    """The provider did not answer in time or answered 5xx: try again later."""


class UnknownPayment(ProviderError):
    """The provider has no such payment (404)."""


@dataclass(frozen=True)
class CollectionRequest:
    """Collect one invoice: `attempt` makes the idempotency key, so a retried
    activity never creates a second payment for the same attempt."""

    invoice_number: str
    amount_cents: int
    description: str
    customer_id: str
    attempt: int = 1
    first: bool = False  # a first payment creates the mandate (checkout)
    webhook_url: str | None = None
    redirect_url: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"collect:{self.invoice_number}:{self.attempt}"


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    def ensure_customer(self, *, organization_ref: str, name: str, email: str | None) -> str:
        """The provider's customer id for an organization (created once)."""
        ...

    def valid_mandate(self, *, customer_id: str) -> str | None:
        """The id of a valid mandate of the customer, or None."""
        ...

    def collect(self, request: CollectionRequest) -> PspPayment:
        """Start a payment that collects an invoice."""
        ...

    def payment(self, payment_id: str) -> PspPayment:
        """The payment's state now, as the provider reports it."""
        ...

    def refund(self, *, payment_id: str, amount_cents: int, description: str,
               idempotency_key: str) -> str:
        """Pay back part of a payment (a credit note); returns the refund id."""
        ...
