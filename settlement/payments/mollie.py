"""Mollie as payment provider, through `mollie-api-python` (v2 API): one
customer per organization, a first payment that creates the SEPA direct debit
mandate, recurring payments that collect invoices, refunds for credit notes,
and the payment's state with its chargebacks and refunds (all pages).

The API key and base URL are passed in by the entry point (`energycloud`,
from settings): never in the repository. Every request that creates something
sends an idempotency key derived from its cause, so a retried activity does
not create a second payment. Amounts go to Mollie as decimal strings built
from integer cents, never floats.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from mollie.api.client import Client
from mollie.api.error import NotFoundError, RequestError, ResponseError, ResponseHandlingError

from domain.payments import PspChargeback, PspPayment, PspRefund
from settlement.payments.provider import (
    CollectionRequest,
    ProviderError,
    ProviderUnavailable,
    UnknownPayment,
)

__all__ = ["MollieProvider", "cents_to_amount", "amount_to_cents"]

log = logging.getLogger(__name__)


def cents_to_amount(cents: int, currency: str = "EUR") -> dict[str, str]:
    return {"currency": currency, "value": f"{Decimal(cents) / 100:.2f}"}


def amount_to_cents(amount: dict | None) -> int | None:
    if not amount:
        return None
    cents = Decimal(amount["value"]) * 100
    if cents != cents.to_integral_value():
        raise ProviderError(f"Mollie reported a sub-cent amount {amount['value']!r}.")
    return int(cents)


class MollieProvider:
    name = "mollie"

    def __init__(self, *, api_key: str, api_endpoint: str, timeout_s: float = 10.0,
                 webhook_url: str | None = None) -> None:
        self.client = Client(api_endpoint=api_endpoint, timeout=(timeout_s, timeout_s), retry=0)
        self.client.set_api_key(api_key)
        self.webhook_url = webhook_url

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NotFoundError as exc:
            raise UnknownPayment(f"Mollie does not know {what}: {exc}") from exc
        except ResponseError as exc:
            if exc.status is not None and exc.status >= 500:
                raise ProviderUnavailable(f"Mollie failed on {what} ({exc.status}): {exc}") from exc
            raise ProviderError(f"Mollie refused {what} ({exc.status}): {exc}") from exc
        except ResponseHandlingError as exc:  # a 5xx without an error object, a broken body
            raise ProviderUnavailable(f"Mollie answered {what} unreadably: {exc}") from exc
        except RequestError as exc:  # connection refused, timeout
            raise ProviderUnavailable(f"Mollie is unreachable for {what}: {exc}") from exc

    def ensure_customer(self, *, organization_ref: str, name: str, email: str | None) -> str:
        data = {"name": name, "metadata": {"organization": organization_ref}}
        if email:
            data["email"] = email
        customer = self._call(f"a new customer for {name}", self.client.customers.create, data,
                              idempotency_key=f"customer:{organization_ref}")
        return customer.id

    def valid_mandate(self, *, customer_id: str) -> str | None:
        customer = self._call(f"customer {customer_id}", self.client.customers.get, customer_id)
        for mandate in self._all(f"mandates of {customer_id}", customer.mandates.list()):
            if mandate.status in ("valid", "pending"):
                return mandate.id
        return None

    def collect(self, request: CollectionRequest) -> PspPayment:
        data = {
            "amount": cents_to_amount(request.amount_cents),
            "description": request.description[:255],
            "sequenceType": "first" if request.first else "recurring",
            "customerId": request.customer_id,
            "metadata": {"invoice": request.invoice_number, "attempt": request.attempt},
        }
        webhook = request.webhook_url or self.webhook_url
        if webhook:
            data["webhookUrl"] = webhook
        if request.redirect_url:
            data["redirectUrl"] = request.redirect_url
        payment = self._call(f"a payment for {request.invoice_number}",
                             self.client.payments.create, data,
                             idempotency_key=request.idempotency_key)
        log.info("mollie payment %s collects %s (attempt %d, %s)", payment.id,
                 request.invoice_number, request.attempt, data["sequenceType"])
        return self._state(payment)

    def payment(self, payment_id: str) -> PspPayment:
        if not payment_id.startswith("tr_"):
            raise UnknownPayment(f"{payment_id!r} is not a Mollie payment id")
        payment = self._call(f"payment {payment_id}", self.client.payments.get, payment_id)
        return self._state(payment)

    def refund(self, *, payment_id: str, amount_cents: int, description: str,
               idempotency_key: str) -> str:
        payment = self._call(f"payment {payment_id}", self.client.payments.get, payment_id)
        refund = self._call(f"a refund of {payment_id}", payment.refunds.create,
                            {"amount": cents_to_amount(amount_cents),
                             "description": description[:140]},
                            idempotency_key=idempotency_key)
        return refund.id

    def _all(self, what: str, page) -> list:
        items = []
        while page is not None:
            items.extend(page)
            page = self._call(what, page.get_next) if page.has_next() else None
        return items

    def _state(self, payment) -> PspPayment:
        chargebacks: tuple[PspChargeback, ...] = ()
        refunds: tuple[PspRefund, ...] = ()
        if payment.has_chargebacks():
            chargebacks = tuple(
                PspChargeback(c.id, amount_to_cents(c.amount))
                for c in self._all(f"chargebacks of {payment.id}", payment.chargebacks.list())
            )
        if payment.has_refunds():
            refunds = tuple(
                PspRefund(r.id, amount_to_cents(r.amount), r.status)
                for r in self._all(f"refunds of {payment.id}", payment.refunds.list())
            )
        return PspPayment(
            id=payment.id, status=payment.status, amount_cents=amount_to_cents(payment.amount),
            settlement_cents=amount_to_cents(payment.settlement_amount),
            chargebacks=chargebacks, refunds=refunds,
            sequence_type=payment.sequence_type or "oneoff",
            currency=payment.amount["currency"],
        )
