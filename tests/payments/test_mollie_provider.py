"""The Mollie provider against a local server that answers as Mollie's API
documentation describes: customers, mandates, first and recurring payments,
refunds, chargebacks (paged), errors and timeouts; and what each payment
state posts to the ledger, exactly once."""

from __future__ import annotations

import pytest

from db.base import transaction, utcnow
from db.ledger import post_entry
from db.models.payments import InvoiceCollection
from db.payments import record_psp_payment
from domain.ledger import build_entry
from settlement.payments.provider import (
    CollectionRequest,
    ProviderError,
    ProviderUnavailable,
    UnknownPayment,
)
from settlement.payments.refunds import refund_credit_note
from tests.payments.fake_mollie import FakeMollie, RunningFake
from tests.payments.helpers import balances, open_collection, provider_for


@pytest.fixture
def fake():
    with RunningFake(FakeMollie(fee_cents=29)) as running:
        yield running


def _first_then_recurring(fake, provider):
    customer = provider.ensure_customer(organization_ref="organization:1", name="Acme",
                                        email="finance@acme.example")
    assert provider.valid_mandate(customer_id=customer) is None
    first = provider.collect(CollectionRequest("INV-1", 4861, "Invoice INV-1", customer,
                                               first=True))
    assert first.status == "open" and first.sequence_type == "first"
    fake.set_status(first.id, "paid")
    mandate = provider.valid_mandate(customer_id=customer)
    assert mandate and mandate.startswith("mdt_")
    return customer, first


def test_a_first_payment_creates_the_mandate_and_recurring_payments_collect(fake):
    provider = provider_for(fake)
    customer, first = _first_then_recurring(fake, provider)
    again = provider.ensure_customer(organization_ref="organization:1", name="Acme", email=None)
    assert again == customer  # the same idempotency key: no second customer
    recurring = provider.collect(CollectionRequest("INV-2", 1234, "Invoice INV-2", customer))
    assert recurring.status == "pending" and recurring.sequence_type == "recurring"
    state = provider.payment(first.id)
    assert (state.status, state.amount_cents, state.settlement_cents) == ("paid", 4861, 4832)


def test_a_retried_collection_attempt_does_not_create_a_second_payment(fake):
    provider = provider_for(fake)
    customer, _ = _first_then_recurring(fake, provider)
    request = CollectionRequest("INV-3", 500, "Invoice INV-3", customer, attempt=1)
    assert provider.collect(request).id == provider.collect(request).id
    retry = CollectionRequest("INV-3", 500, "Invoice INV-3", customer, attempt=2)
    assert provider.collect(retry).id != provider.collect(request).id


def test_recurring_without_a_mandate_is_refused_with_mollies_error(fake):
    provider = provider_for(fake)
    customer = provider.ensure_customer(organization_ref="organization:2", name="Jan", email=None)
    with pytest.raises(ProviderError, match="no valid mandate") as caught:
        provider.collect(CollectionRequest("INV-4", 100, "Invoice INV-4", customer))
    assert not isinstance(caught.value, ProviderUnavailable)


def test_unknown_payments_errors_and_timeouts_are_told_apart(fake):
    provider = provider_for(fake, timeout_s=0.5)
    with pytest.raises(UnknownPayment):
        provider.payment("tr_doesnotexist")
    fake.fail_next(1, status=503)
    with pytest.raises(ProviderUnavailable):
        provider.payment("tr_doesnotexist")
    fake.delay_next(1.5)
    with pytest.raises(ProviderUnavailable, match="unreachable"):
        provider.payment("tr_doesnotexist")
    bad = provider_for(fake)
    bad.client.api_key = "test_short"  # the fake refuses it as Mollie does: 401
    with pytest.raises(ProviderError, match="401"):
        bad.payment("tr_doesnotexist")


def test_refunds_and_chargebacks_are_read_across_pages(fake):
    provider = provider_for(fake)
    customer, first = _first_then_recurring(fake, provider)
    refund_ids = [provider.refund(payment_id=first.id, amount_cents=10, description="credit",
                                  idempotency_key=f"refund:CN-{i}") for i in range(60)]
    fake.complete_refund(refund_ids[0])
    fake.chargeback(first.id, 100)
    state = provider.payment(first.id)
    assert len(state.refunds) == 60  # Mollie pages 50 at a time
    assert [r.status for r in state.refunds].count("refunded") == 1
    assert [c.amount_cents for c in state.chargebacks] == [100]


def test_each_payment_state_moves_the_ledger_exactly_once(fake, session_factory):
    provider = provider_for(fake)
    customer, _ = _first_then_recurring(fake, provider)
    open_collection(session_factory, "INV-2026-000010", cents=4861)
    payment = provider.collect(CollectionRequest("INV-2026-000010", 4861, "Invoice", customer))
    with transaction(session_factory) as session:  # the invoice itself: Dr receivable
        post_entry(session, build_entry("2026-10:inv10", "invoice", [
            ("receivable:org:1", 4861), ("revenue:subscriptions", -4861)]), occurred_at=utcnow())

    def sync():
        with transaction(session_factory) as session:
            return record_psp_payment(session, provider.payment(payment.id),
                                      invoice_number="INV-2026-000010")

    assert sync().created_entries == 0  # pending: nothing moved
    fake.set_status(payment.id, "paid")
    assert [sync().created_entries for _ in range(3)] == [1, 0, 0]
    assert balances(session_factory)["clearing:psp"] == 4861 - 29
    assert balances(session_factory)["expense:psp_fees"] == 29
    assert "receivable:org:1" not in balances(session_factory)
    fake.chargeback(payment.id)
    outcome = sync()
    assert (outcome.status, outcome.created_entries) == ("charged_back", 1)
    assert sync().created_entries == 0
    assert balances(session_factory)["receivable:org:1"] == 4861
    assert balances(session_factory)["clearing:psp"] == -29
    assert sum(balances(session_factory).values()) == 0
    with session_factory() as session:
        assert session.get(InvoiceCollection, "INV-2026-000010").status == "failed"


def test_failed_and_expired_payments_move_no_money(fake, session_factory):
    provider = provider_for(fake)
    customer, _ = _first_then_recurring(fake, provider)
    for n, status in enumerate(("failed", "expired"), start=20):
        number = f"INV-2026-0000{n}"
        open_collection(session_factory, number, cents=700)
        payment = provider.collect(CollectionRequest(number, 700, "Invoice", customer))
        fake.set_status(payment.id, status)
        with transaction(session_factory) as session:
            outcome = record_psp_payment(session, provider.payment(payment.id),
                                         invoice_number=number)
        assert (outcome.status, outcome.created_entries) == (status, 0)
    assert balances(session_factory) == {}


def test_a_credit_note_is_refunded_once_and_posted_when_mollie_refunded_it(fake, session_factory):
    provider = provider_for(fake)
    customer, _ = _first_then_recurring(fake, provider)
    open_collection(session_factory, "INV-2026-000030", cents=4861)
    payment = provider.collect(CollectionRequest("INV-2026-000030", 4861, "Invoice", customer))
    fake.set_status(payment.id, "paid")
    with transaction(session_factory) as session:
        post_entry(session, build_entry("2026-10:inv30", "invoice", [
            ("receivable:org:1", 4861), ("revenue:subscriptions", -4861)]), occurred_at=utcnow())
        post_entry(session, build_entry("2026-11:cn30", "credit note", [
            ("revenue:subscriptions", 218), ("receivable:org:1", -218)]), occurred_at=utcnow())
        record_psp_payment(session, provider.payment(payment.id), invoice_number="INV-2026-000030")
    first = refund_credit_note(session_factory, provider, invoice_number="INV-2026-000030",
                               credit_note_number="CN-2026-000001", amount_cents=218)
    again = refund_credit_note(session_factory, provider, invoice_number="INV-2026-000030",
                               credit_note_number="CN-2026-000001", amount_cents=218)
    assert (first.created_entries, again.created_entries) == (0, 0)  # pending: not yet moved
    assert len(fake.refunds[payment.id]) == 1  # the same key: one refund
    fake.complete_refund(fake.refunds[payment.id][0]["id"])
    with transaction(session_factory) as session:
        outcome = record_psp_payment(session, provider.payment(payment.id))
    assert (outcome.status, outcome.created_entries) == ("refunded", 1)
    assert "receivable:org:1" not in balances(session_factory)
    assert balances(session_factory)["clearing:psp"] == 4861 - 29 - 218
