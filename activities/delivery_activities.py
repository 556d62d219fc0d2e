"""Activities that mail issued documents: plan one delivery per document, then
send each in its own activity.

Idempotency: a delivery (key `<number>/<n>`) goes to the mail server at most
once. Its row says where it stands; `sending` is committed just before DATA, so
a retry after a crash knows the server may have the message: the outbox can
tell (the file is there or not), an SMTP server cannot, and the delivery is
then `unconfirmed` for finance instead of being sent a second time. A retry of
a `sent` delivery, or a replay, sends nothing.

Temporary failures (4xx, connection errors before DATA) raise a retryable
error: Temporal retries with backoff. Permanent ones (5xx) end the activity
with the refusal recorded on the delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery_messages import (
    DeliverInput,
    DeliveryOutcome,
    DeliveryPlan,
    DeliveryPlanInput,
)
from activities.settlement_activities import run_dir
from activities.settlement_messages import StepInput
from db.base import transaction
from db.documents import issued_document, period_rows
from db.mail_deliveries import delivery, plan_deliveries, record
from domain.documents import IssuedDocument
from invoices.render import logo_bytes
from mail.compose import Brand, document_message, message_id_for
from mail.config import MailConfig
from mail.documents import document_mail
from mail.transport import PermanentFailure, TemporaryFailure, Transport, Unconfirmed

__all__ = ["DeliveryActivities"]

log = logging.getLogger(__name__)

TERMINAL = ("sent", "no_address", "failed_permanent", "unconfirmed")


@dataclass(frozen=True)
class _Task:
    status: str
    to_address: str | None
    issued: IssuedDocument | None
    pdf: bytes | None


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryActivities:
    def __init__(self, session_factory: sessionmaker[Session], *, transport: Transport,
                 config: MailConfig):
        self.session_factory = session_factory
        self.transport = transport
        self.config = config

    def all(self) -> list:
        return [self.plan_document_deliveries, self.deliver_document]

    @activity.defn(name="plan_document_deliveries")
    def plan_document_deliveries(self, data: DeliveryPlanInput) -> DeliveryPlan:
        with transaction(self.session_factory) as session:
            if data.supplementary:  # only this run's credit notes and new documents
                step = StepInput(data.period, data.work_dir, data.run, data.supplementary)
                numbers = json.loads((run_dir(step) / "issued.json").read_text())
            else:
                numbers = [r.number for r in period_rows(session, data.period)]
            rows = plan_deliveries(session, numbers=numbers, by=data.by or "settlement",
                                   at=_now())
            keys = tuple(r.key for r in rows if r.status not in TERMINAL)
            missing = tuple(f"{r.document_number} {r.recipient_name}: {r.last_error}"
                            for r in rows if r.status == "no_address")
        return DeliveryPlan(keys, missing)

    def _begin(self, key: str) -> _Task:
        with transaction(self.session_factory) as session:
            row = delivery(session, key)
            if row is None:
                raise ApplicationError(f"no delivery {key}", non_retryable=True)
            if row.status in TERMINAL:
                return _Task(row.status, row.to_address, None, None)
            row.attempts += 1
            issued, pdf_path = issued_document(session, row.document_number)
            status, to_address = row.status, row.to_address
        if not pdf_path or not Path(pdf_path).is_file():
            raise ApplicationError(f"{row.document_number} has no rendered PDF to attach",
                                   non_retryable=True)
        return _Task(status, to_address, issued, Path(pdf_path).read_bytes())

    def _mark(self, key: str, status: str, event: str, detail: str, **changes) -> None:
        with transaction(self.session_factory) as session:
            row = delivery(session, key)
            record(session, row, event=event, at=_now(), detail=detail, status=status,
                   **changes)

    @activity.defn(name="deliver_document")
    async def deliver_document(self, data: DeliverInput) -> DeliveryOutcome:
        key = data.key
        task = await asyncio.to_thread(self._begin, key)
        if task.status in TERMINAL:
            return DeliveryOutcome(key, task.status, "nothing to do")
        message_id = message_id_for(key, self.config.from_address)
        if task.status == "sending":  # an earlier attempt stopped while handing it over
            known = self.transport.already_sent(key)
            if known is True:
                await asyncio.to_thread(self._mark, key, "sent", "sent", "found sent",
                                        message_id=message_id, sent_at=_now())
                return DeliveryOutcome(key, "sent", "found sent")
            if known is None:
                why = ("an earlier attempt stopped while the mail server was receiving the "
                       "message; it may have arrived. Not sent again: check with the "
                       "recipient, or resend it explicitly")
                await asyncio.to_thread(self._mark, key, "unconfirmed", "unconfirmed", why,
                                        last_error=why)
                return DeliveryOutcome(key, "unconfirmed", why)
        issued = task.issued
        brand = Brand(issued.document.branding, logo_bytes(issued.document.branding.logo_url))
        message = document_message(
            brand=brand, from_address=self.config.from_address, to_address=task.to_address,
            mail=document_mail(issued), pdf=task.pdf, key=key, at=_now(),
        )

        async def before_data() -> None:
            await asyncio.to_thread(self._mark, key, "sending", "sending",
                                    f"to {task.to_address}")

        try:
            reply = await self.transport.send(message, key=key, before_data=before_data)
        except TemporaryFailure as exc:
            await asyncio.to_thread(self._mark, key, "failed_temporary", "failed_temporary",
                                    str(exc), last_error=str(exc))
            raise ApplicationError(str(exc), type="MailTemporaryFailure") from exc
        except PermanentFailure as exc:
            await asyncio.to_thread(self._mark, key, "failed_permanent", "failed_permanent",
                                    str(exc), last_error=str(exc))
            log.warning("delivery %s refused for good: %s", key, exc)
            return DeliveryOutcome(key, "failed_permanent", str(exc))
        except Unconfirmed as exc:
            await asyncio.to_thread(self._mark, key, "unconfirmed", "unconfirmed", str(exc),
                                    last_error=str(exc))
            return DeliveryOutcome(key, "unconfirmed", str(exc))
        await asyncio.to_thread(self._mark, key, "sent", "sent", reply, message_id=message_id,
                                sent_at=_now(), last_error=None)
        return DeliveryOutcome(key, "sent", reply)
