"""Which collections an approved period starts: the flows collected by direct
debit or Mollie that are not paid, each only where the worker has its provider
(a Mollie flow on a worker without a Mollie key waits for `energycloud collect`);
transfers are the debtor's to make."""

from __future__ import annotations

from sqlalchemy import update

from activities.payment_activities import PaymentActivities
from db.base import transaction
from db.demo import load_demo_data
from db.models.payments import InvoiceCollection
from tests.payments.helpers import open_collection


def test_the_plan_starts_what_the_worker_can_collect(session_factory):
    load_demo_data(session_factory, password="pw")
    open_collection(session_factory, "INV-2026-000401", org_id=1, method="sepa_mandate")
    open_collection(session_factory, "INV-2026-000402", org_id=1, method="mollie")
    open_collection(session_factory, "INV-2026-000403", org_id=1, method="bank_transfer")
    open_collection(session_factory, "INV-2026-000404", org_id=1, method="sepa_mandate")
    with transaction(session_factory) as s:
        s.execute(update(InvoiceCollection).where(InvoiceCollection.number == "INV-2026-000404")
                  .values(status="paid"))

    sepa_only = PaymentActivities(session_factory, {"sepa": object()}).plan_collections("2026-10")
    assert sepa_only.numbers == ("INV-2026-000401",)
    assert sepa_only.waiting == ("INV-2026-000402 mollie",)

    both = PaymentActivities(session_factory, {"sepa": object(), "mollie": object()})
    plan = both.plan_collections("2026-10")
    assert plan.numbers == ("INV-2026-000401", "INV-2026-000402") and plan.waiting == ()
    assert PaymentActivities(session_factory, {}).plan_collections("2026-10").numbers == ()
