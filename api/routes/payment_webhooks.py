"""Mollie's payment webhook: `POST /api/v1/webhooks/mollie` with the form
field `id` (that is all Mollie posts).

The body is never trusted: the payment's state is fetched from the provider,
stored and posted to the ledger (once per payment and status,
`db.payments.record_psp_payment`), and then the owning
`InvoiceCollectionWorkflow` (`collection:<number>`) is signalled so its
dunning policy decides what happens next.

Answers, as Mollie expects them: 200 once handled (also for a payment the
platform never created, or whose workflow has ended: there is nothing to
retry), 503 while the provider, the database or Temporal cannot be reached
(Mollie retries the webhook later; everything before is idempotent).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError, RPCStatusCode

from activities.payment_messages import PaymentUpdate, collection_workflow_id
from db.base import transaction
from db.payments import record_psp_payment
from settlement.payments.provider import ProviderError, ProviderUnavailable, UnknownPayment

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["payments"])


@router.post("/webhooks/mollie")
async def mollie_webhook(request: Request) -> dict:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    payment_id = (form.get("id") or [""])[0].strip()
    if not payment_id:
        raise HTTPException(status_code=422,
                            detail="The webhook has no payment id (form field id).")
    provider = getattr(request.app.state, "payment_provider", None)
    if provider is None:
        raise HTTPException(status_code=503, detail="No payment provider is configured.")
    try:
        payment = await run_in_threadpool(provider.payment, payment_id)
    except UnknownPayment:
        log.warning("webhook for payment %s, which the provider does not know", payment_id)
        return {"handled": False, "reason": "unknown payment"}
    except ProviderUnavailable as exc:
        log.warning("webhook for %s: provider unavailable: %s", payment_id, exc)
        raise HTTPException(status_code=503, detail="The payment provider is unavailable.") from exc
    except ProviderError as exc:
        log.warning("webhook for %s: provider error: %s", payment_id, exc)
        raise HTTPException(status_code=502, detail="The payment provider refused.") from exc

    def record():
        with transaction(request.app.state.session_factory) as session:
            return record_psp_payment(session, payment)

    outcome = await run_in_threadpool(record)
    if outcome is None:
        log.warning("webhook for payment %s, which collects nothing of ours", payment_id)
        return {"handled": False, "reason": "not a payment of this platform"}
    try:
        client = await request.app.state.temporal.client()
    except Exception as exc:  # noqa: BLE001  (any failure: Mollie retries later)
        raise HTTPException(status_code=503, detail="Temporal is unavailable.") from exc
    try:
        handle = client.get_workflow_handle(collection_workflow_id(outcome.invoice_number))
        await handle.signal("payment_update", PaymentUpdate(payment.id, outcome.status))
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise HTTPException(status_code=503, detail="Temporal is unavailable.") from exc
        log.info("collection %s has no running workflow; %s is recorded",
                 outcome.invoice_number, payment_id)
    log.info("webhook %s: %s (%d new entries)", payment_id, outcome.status,
             outcome.created_entries)
    return {"handled": True, "status": outcome.status, "entries": outcome.created_entries}
