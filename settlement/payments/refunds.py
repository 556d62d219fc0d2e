"""Credit notes paid back through the provider that collected the invoice
(DOMAIN.md §8: corrections are credit notes; the money follows them).

The refund's idempotency key is the credit note's number, so a retried call
never refunds twice; the ledger moves only when the provider reports the
refund as `refunded` (`psp:refund:<id>`, via `db.payments.record_psp_payment`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.base import transaction
from db.models.payments import ProviderPayment
from db.payments import PaymentOutcome, record_psp_payment
from settlement.payments.provider import PaymentProvider, ProviderError

__all__ = ["refund_credit_note"]

log = logging.getLogger(__name__)


def refund_credit_note(session_factory: sessionmaker[Session], provider: PaymentProvider, *,
                       invoice_number: str, credit_note_number: str,
                       amount_cents: int) -> PaymentOutcome:
    """Refund `amount_cents` of the paid provider payment that collected
    `invoice_number`, for `credit_note_number`."""
    with session_factory() as session:
        payment_id = session.scalar(
            select(ProviderPayment.payment_id).where(
                ProviderPayment.invoice_number == invoice_number,
                ProviderPayment.status == "paid").order_by(ProviderPayment.attempt.desc()))
    if payment_id is None:
        raise ProviderError(f"{invoice_number} has no paid {provider.name} payment to refund "
                            f"{credit_note_number} from; pay it back by transfer instead.")
    refund_id = provider.refund(payment_id=payment_id, amount_cents=amount_cents,
                                description=f"Credit note {credit_note_number}",
                                idempotency_key=f"refund:{credit_note_number}")
    log.info("refund %s of %s for credit note %s (%d cents)", refund_id, payment_id,
             credit_note_number, amount_cents)
    with transaction(session_factory) as session:
        return record_psp_payment(session, provider.payment(payment_id))
