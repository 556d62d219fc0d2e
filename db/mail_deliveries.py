"""Deliveries of issued documents by e-mail: who gets what, and what happened.

Who gets what is data (DOMAIN.md §8, issue 13): the billing e-mail of the
recipient organization, eMSP or partner; an employee (a suborganization) gets
its payout statement at the suborganization's billing e-mail, or else at its
user's login address. The address is looked up when a delivery is planned or
resent, so a corrected address counts from then on.

One delivery row per (document, send): key `<number>/1` for the send after
approval, `<number>/<n>` for each explicit resend. A recipient without an
address gets a `no_address` delivery: listed for finance, never skipped
silently. Every change is also a `mail_delivery_events` row (what, who, when).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Emsp, Organization, Partner, User
from db.models.documents import IssuedDocumentRow
from db.models.mail import MailDelivery, MailDeliveryEvent
from domain.enums import Role

__all__ = [
    "AuditHook", "FINANCE_STATES", "ResolvedAddress", "billing_address", "deliveries",
    "delivery", "normalized_address", "plan_deliveries", "record", "request_resend",
    "undeliverable",
]

log = logging.getLogger(__name__)

# What finance must look at: no address, refused for good, retrying, or unknown.
FINANCE_STATES = ("no_address", "failed_permanent", "failed_temporary", "unconfirmed")

# Hook for the audit log (it arrives with the API branch, issue 12): called in the
# resend's transaction as audit(session, action=..., actor=..., target=..., at=...).
# Until it is wired, the delivery event row (who, when) is the record.
AuditHook = Callable[..., None]


@dataclass(frozen=True)
class ResolvedAddress:
    address: str | None
    source: str  # "organization billing e-mail", "user jan@…", or why there is none


def normalized_address(text: str | None) -> str | None:
    """The address in normal form, or None when it is missing or not an address."""
    if not text or not text.strip():
        return None
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def billing_address(session: Session, recipient_ref: str) -> ResolvedAddress:
    kind, _, ident = recipient_ref.partition(":")
    if kind == "organization":
        org = session.get(Organization, int(ident))
        if org is None:
            return ResolvedAddress(None, f"no organization {ident}")
        if org.billing_email:
            return ResolvedAddress(org.billing_email, "the organization's billing e-mail")
        if org.parent_id is not None:  # an employee: their own login address
            user = session.scalar(
                select(User).where(User.organization_id == org.id, User.active,
                                   User.role == Role.CUSTOMER_USER).order_by(User.id))
            if user is not None:
                return ResolvedAddress(user.email, f"the employee's login {user.email}")
        return ResolvedAddress(None, f"{org.name} has no billing e-mail")
    if kind == "emsp":
        emsp = session.get(Emsp, int(ident))
        if emsp is not None and emsp.billing_email:
            return ResolvedAddress(emsp.billing_email, "the eMSP's billing e-mail")
        return ResolvedAddress(None, f"{emsp.name if emsp else kind} has no billing e-mail")
    if kind == "partner":
        partner = session.get(Partner, int(ident))
        if partner is not None and partner.billing_email:
            return ResolvedAddress(partner.billing_email, "the partner's billing e-mail")
        return ResolvedAddress(
            None, f"{partner.name if partner else kind} has no billing e-mail")
    return ResolvedAddress(None, f"documents to a {kind} are not mailed")


def record(session: Session, row: MailDelivery, *, event: str, at: datetime,
           by: str | None = None, detail: str | None = None, **changes) -> None:
    """Change a delivery and write the event, in the caller's transaction."""
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = at
    session.add(MailDeliveryEvent(delivery_id=row.id, event=event, by=by, detail=detail, at=at))
    session.flush()


def _new(session: Session, doc: IssuedDocumentRow, *, sequence: int, by: str,
         at: datetime) -> MailDelivery:
    resolved = billing_address(session, doc.recipient_ref)
    address = normalized_address(resolved.address)
    row = MailDelivery(
        key=f"{doc.number}/{sequence}", document_number=doc.number, sequence=sequence,
        period=doc.period, recipient_ref=doc.recipient_ref, recipient_name=doc.recipient_name,
        to_address=address, status="queued", requested_by=by, created_at=at, updated_at=at,
    )
    session.add(row)
    session.flush()
    if address is None:
        why = (f"{resolved.address!r} is not a valid e-mail address" if resolved.address
               else resolved.source)
        record(session, row, event="no_address", at=at, by=by, detail=why,
               status="no_address", last_error=why)
        log.warning("document %s to %s: %s; listed for finance", doc.number,
                    doc.recipient_name, why)
    else:
        record(session, row, event="queued", at=at, by=by,
               detail=f"to {address} ({resolved.source})")
    return row


def plan_deliveries(session: Session, *, numbers: Iterable[str], by: str,
                    at: datetime) -> list[MailDelivery]:
    """The first delivery (`<number>/1`) of each document, created once."""
    planned = []
    for number in numbers:
        row = delivery(session, f"{number}/1")
        if row is None:
            doc = session.scalar(select(IssuedDocumentRow)
                                 .where(IssuedDocumentRow.number == number))
            if doc is None:
                raise LookupError(f"no issued document {number}")
            row = _new(session, doc, sequence=1, by=by, at=at)
        planned.append(row)
    return planned


def request_resend(session: Session, *, number: str, by: str, at: datetime,
                   audit: AuditHook | None = None) -> MailDelivery:
    """An explicit resend: a new delivery `<number>/<n+1>` to the current address,
    recorded with who asked and when."""
    if normalized_address(by) is None:
        raise ValueError(f"a resend names who asks for it by e-mail address, not {by!r}")
    doc = session.scalar(select(IssuedDocumentRow).where(IssuedDocumentRow.number == number))
    if doc is None:
        raise LookupError(f"no issued document {number}")
    last = session.scalar(select(func.max(MailDelivery.sequence))
                          .where(MailDelivery.document_number == number)) or 0
    row = _new(session, doc, sequence=last + 1, by=by, at=at)
    record(session, row, event="resend_requested", at=at, by=by,
           detail=f"resend {row.sequence} of {number}")
    if audit is not None:
        audit(session, action="document.resend", actor=by, target=number, at=at)
    return row


def delivery(session: Session, key: str) -> MailDelivery | None:
    return session.scalar(select(MailDelivery).where(MailDelivery.key == key))


def deliveries(session: Session, *, period: str | None = None) -> list[MailDelivery]:
    query = select(MailDelivery).order_by(MailDelivery.id)
    if period is not None:
        query = query.where(MailDelivery.period == period)
    return list(session.scalars(query))


def undeliverable(session: Session, *, period: str | None = None) -> list[MailDelivery]:
    """Deliveries finance must act on, unless a later send of the same document
    went out."""
    rows = deliveries(session, period=period)
    sent = {r.document_number for r in rows if r.status == "sent"}
    latest: dict[str, MailDelivery] = {}
    for row in rows:
        latest[row.document_number] = row
    return [r for r in latest.values()
            if r.status in FINANCE_STATES and r.document_number not in sent]
