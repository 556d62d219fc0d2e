"""Activities of the invoice collection workflow: start a collection attempt
with the organization's provider, send a reminder, flag an invoice to finance;
and the plan of which collections an approved period starts.
Thin adapters over `db/payments.py` and the providers (`settlement/payments/`).

Idempotent: an attempt's provider request carries the key
`collect:<number>:<attempt>` (Mollie answers a repeated key with the same
payment), its provider payment row is stored once, and reminders and flags
are counted by their number, not by how often the activity ran.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.payment_messages import (
    AttemptInput,
    AttemptResult,
    CollectionPlan,
    DunningInput,
    sepa_attempt_id,
)
from db.base import transaction
from db.models import Organization
from db.models.payments import InvoiceCollection, PaymentCustomer
from db.payments import flows_to_collect, record_psp_payment
from domain.payments import PaymentMethod
from settlement.payments.provider import (
    CollectionRequest,
    PaymentProvider,
    ProviderError,
    ProviderUnavailable,
)

__all__ = ["PaymentActivities"]

log = logging.getLogger(__name__)


class PaymentActivities:
    def __init__(self, session_factory: sessionmaker[Session],
                 providers: dict[str, PaymentProvider]) -> None:
        self.session_factory = session_factory
        self.providers = providers

    def all(self) -> list:
        return [self.start_attempt, self.dunning, self.plan_collections]

    def _provider_name(self, method: str) -> str:
        return "mollie" if method == PaymentMethod.MOLLIE else "sepa"

    @activity.defn(name="plan_collections")
    def plan_collections(self, period: str) -> CollectionPlan:
        """The approved period's flows to follow by a collection workflow, split
        by whether this worker has their provider (no Mollie key: Mollie flows
        wait for `energycloud collect` on a worker that has one)."""
        with transaction(self.session_factory) as session:
            flows = flows_to_collect(session, period)
        has = {n: self._provider_name(m) in self.providers for n, m in flows}
        ready = tuple(n for n, _ in flows if has[n])
        waiting = tuple(f"{n} {m}" for n, m in flows if not has[n])
        if waiting:
            log.warning("Period %s: %d collection(s) wait for a provider this worker lacks: %s",
                        period, len(waiting), ", ".join(waiting))
        return CollectionPlan(ready, waiting)

    @activity.defn(name="start_collection_attempt")
    def start_attempt(self, data: AttemptInput) -> AttemptResult:
        with self.session_factory() as session:
            flow = session.get(InvoiceCollection, data.number)
            if flow is None:
                raise ApplicationError(f"{data.number} is not an open collection",
                                       non_retryable=True)
            method, ref, cents = flow.method, flow.recipient_ref, flow.amount_cents
            org = (session.get(Organization, int(ref.partition(":")[2]))
                   if ref.startswith("organization:") else None)
        if method == PaymentMethod.BANK_TRANSFER or (
                method == PaymentMethod.SEPA_MANDATE and data.attempt == 1):
            # The period's pain.008 (or the debtor's own transfer) is attempt 1;
            # the bank statement says how it went.
            return AttemptResult(sepa_attempt_id(data.number, data.attempt), method, "pending")
        provider = self.providers.get(self._provider_name(method))
        if provider is None:
            raise ApplicationError(f"no {method} provider is configured", non_retryable=True)
        try:
            customer = self._customer(provider, org, ref)
            mandate = provider.valid_mandate(customer_id=customer)
            payment = provider.collect(CollectionRequest(
                invoice_number=data.number, amount_cents=cents,
                description=f"Invoice {data.number}", customer_id=customer,
                attempt=data.attempt, first=mandate is None))
        except ProviderUnavailable:
            raise  # retried by Temporal with backoff
        except ProviderError as exc:
            raise ApplicationError(str(exc), non_retryable=True) from exc
        if method == PaymentMethod.MOLLIE:
            with transaction(self.session_factory) as session:
                record_psp_payment(session, payment, invoice_number=data.number,
                                   attempt=data.attempt)
        if method == PaymentMethod.SEPA_MANDATE:
            return AttemptResult(sepa_attempt_id(data.number, data.attempt), method, "pending")
        return AttemptResult(payment.id, method, payment.status)

    def _customer(self, provider: PaymentProvider, org: Organization | None, ref: str) -> str:
        if provider.name != "mollie":
            return ref
        with transaction(self.session_factory) as session:
            known = session.get(PaymentCustomer, org.id)
            if known is not None:
                return known.customer_id
            customer = provider.ensure_customer(organization_ref=ref, name=org.name,
                                                email=org.billing_email)
            session.add(PaymentCustomer(organization_id=org.id, provider="mollie",
                                        customer_id=customer))
            return customer

    @activity.defn(name="collection_dunning")
    def dunning(self, data: DunningInput) -> None:
        with transaction(self.session_factory) as session:
            flow = session.scalar(select(InvoiceCollection).where(
                InvoiceCollection.number == data.number).with_for_update())
            if data.step == "remind":
                flow.reminders = max(flow.reminders, data.count)
                log.warning("reminder %d for %s (%d cents): %s", data.count, data.number,
                            flow.amount_cents, data.reason)
            else:
                flow.status = "flagged"
                flow.last_reason = data.reason[:200]
                log.warning("collection %s flagged to finance: %s", data.number, data.reason)
