"""Shared setup of the payment tests: the fake Mollie server, a provider
pointed at it, open collections in the test database, and waiting for a
collection workflow to get somewhere."""

from __future__ import annotations

import asyncio

from db.base import transaction
from db.ledger import trial_balance
from db.models.payments import InvoiceCollection
from settlement.payments.mollie import MollieProvider
from workflows.invoice_collection import InvoiceCollectionWorkflow

API_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"  # the shape of a test key; the fake checks it


def provider_for(fake, *, timeout_s: float = 2.0) -> MollieProvider:
    return MollieProvider(api_key=API_KEY, api_endpoint=fake.base_url, timeout_s=timeout_s)


def open_collection(factory, number: str, *, org_id: int = 1, cents: int = 4861,
                    method: str = "mollie") -> None:
    with transaction(factory) as session:
        session.add(InvoiceCollection(number=number, numbers=number, period="2026-10",
                                      recipient_ref=f"organization:{org_id}", amount_cents=cents,
                                      method=method, status="open", failures=0, reminders=0))


def balances(factory) -> dict[str, int]:
    with factory() as session:
        return {a: c for a, c in trial_balance(session).items() if c}


async def progress_until(handle, predicate, timeout_s: float = 30):
    """The collection workflow's progress once `predicate` holds for it, polled
    every 0.1 s; an AssertionError with the last progress after `timeout_s`."""
    for _ in range(int(timeout_s * 10)):
        progress = await handle.query(InvoiceCollectionWorkflow.progress)
        if predicate(progress):
            return progress
        await asyncio.sleep(0.1)
    raise AssertionError(f"the collection did not get there: {progress}")
