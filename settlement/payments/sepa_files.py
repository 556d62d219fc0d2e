"""The embedded payment provider: SEPA files finance uploads to the bank, and
the bank's camt.053 statement that says what happened.

* the period's own pain.008 / pain.001 come from `settlement/payment_runs.py`
  when the period is settled; this provider writes the files *after* that: a
  direct debit collected again under the dunning policy (`collect`), a
  credit note paid back (`refund`), failed payouts paid again
  (`retry_payouts`, new end-to-end ids, never a payout that was sent or paid);
* `import_statement` parses a camt.053 and hands its lines to
  `db.payments.import_statement_lines` (match, post, list what is unmatched).

Payment state comes from the imported statements (`payment`).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.bank_statements import ImportResult, import_statement_lines
from db.base import transaction, utcnow
from db.models import Organization, Partner, PlatformSettings
from db.models.payments import InvoiceCollection, PayoutRow
from db.payments import open_payouts
from domain.payments import PspPayment
from settlement import sepa
from settlement.payments.camt053 import parse_camt053
from settlement.payments.provider import CollectionRequest, ProviderError, UnknownPayment

__all__ = ["SepaFilesProvider"]

log = logging.getLogger(__name__)
_STATUS = {"paid": "paid", "failed": "failed", "flagged": "failed", "open": "pending"}


class SepaFilesProvider:
    name = "sepa"

    def __init__(self, *, session_factory: sessionmaker[Session], out_dir: Path,
                 lead_days: int = 2) -> None:
        self.session_factory = session_factory
        self.out_dir = Path(out_dir)
        self.lead_days = lead_days

    def _own(self, session: Session) -> tuple[sepa.SepaAccount, str | None]:
        platform = session.scalar(select(PlatformSettings))
        if platform is None or not platform.iban:
            raise ProviderError("the platform has no IBAN to collect to or pay from")
        return (sepa.SepaAccount(platform.legal_name or platform.name, platform.iban),
                platform.sepa_creditor_id)

    def ensure_customer(self, *, organization_ref: str, name: str, email: str | None) -> str:
        with self.session_factory() as session:
            org = session.get(Organization, int(organization_ref.partition(":")[2]))
            if org is None or not org.sepa_mandate_id:
                raise ProviderError(f"{name} has signed no SEPA direct debit mandate")
            return organization_ref

    def valid_mandate(self, *, customer_id: str) -> str | None:
        with self.session_factory() as session:
            org = session.get(Organization, int(customer_id.partition(":")[2]))
            return org.sepa_mandate_id if org is not None else None

    def collect(self, request: CollectionRequest) -> PspPayment:
        """A pain.008 with this one collection (the same end-to-end id, so the
        statement matches it to the same flow)."""
        with self.session_factory() as session:
            own, creditor_id = self._own(session)
            flow = session.get(InvoiceCollection, request.invoice_number)
            org = session.get(Organization, int(request.customer_id.partition(":")[2]))
            if flow is None or org is None or not org.sepa_mandate_id:
                raise ProviderError(f"{request.invoice_number} cannot be collected by direct debit")
            xml = sepa.direct_debit_file(
                creditor=own, creditor_id=creditor_id or "",
                collections=[sepa.SepaCollection(
                    name=org.name, iban=org.iban or "", bic=None,
                    amount_cents=request.amount_cents, end_to_end_id=flow.number,
                    description=request.description[:140], mandate_id=org.sepa_mandate_id,
                    mandate_signed_on=org.sepa_mandate_signed_on)],
                message_id=f"EC-{flow.number}-A{request.attempt}"[:35],
                collection_date=utcnow().date() + timedelta(days=self.lead_days))
        path = self.out_dir / f"collection-{flow.number}-attempt-{request.attempt}-pain.008.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(xml)
        log.info("direct debit %s attempt %d written to %s", flow.number, request.attempt, path)
        return PspPayment(id=flow.number, status="pending", amount_cents=request.amount_cents,
                          sequence_type="recurring")

    def payment(self, payment_id: str) -> PspPayment:
        with self.session_factory() as session:
            flow = session.get(InvoiceCollection, payment_id)
            if flow is None:
                raise UnknownPayment(f"no collection {payment_id!r}")
            return PspPayment(id=flow.number, status=_STATUS[flow.status],
                              amount_cents=flow.amount_cents)

    def refund(self, *, payment_id: str, amount_cents: int, description: str,
               idempotency_key: str) -> str:
        """A credit note paid back by credit transfer to the debtor's IBAN."""
        with self.session_factory() as session:
            own, _ = self._own(session)
            flow = session.get(InvoiceCollection, payment_id)
            if flow is None:
                raise UnknownPayment(f"no collection {payment_id!r}")
            org = session.get(Organization, int(flow.recipient_ref.partition(":")[2]))
            xml = sepa.credit_transfer_file(
                debtor=own, payments=[sepa.SepaPayment(
                    name=org.name, iban=org.iban or "", bic=None, amount_cents=amount_cents,
                    end_to_end_id=idempotency_key[:35], description=description[:140])],
                message_id=idempotency_key[:35], execution_date=utcnow().date())
        path = self.out_dir / f"refund-{payment_id}-pain.001.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(xml)
        return str(path)

    def retry_payouts(self, *, period: str, execution_date: date) -> tuple[Path | None, list]:
        """A pain.001 with a new attempt of each failed payout of `period`."""
        path = self.out_dir / f"payouts-{period}-retry-{utcnow():%Y%m%d%H%M%S}-pain.001.xml"
        with transaction(self.session_factory) as session:
            latest: dict[str, PayoutRow] = {}
            for row in session.scalars(select(PayoutRow).where(PayoutRow.period == period)
                                       .order_by(PayoutRow.attempt)):
                latest[row.payee_ref] = row
            # Only payees whose latest attempt failed: a sent or paid one is never paid again.
            failed = {ref for ref, row in latest.items() if row.status == "failed"}
            rows = [r for r in open_payouts(session, period, method="pain.001",
                                            reference=str(path), retry_failed=True)
                    if r.payee_ref in failed and r.status == "sent"]
            if not rows:
                return None, []
            own, _ = self._own(session)
            # Master data now: a payee who corrected its IBAN is paid to the new one.
            ibans = {f"organization:{o.id}": o.iban for o in session.scalars(select(Organization))}
            ibans |= {f"partner:{p.id}": p.iban for p in session.scalars(select(Partner))}
            xml = sepa.credit_transfer_file(
                debtor=own, message_id=f"EC-{period}-RETRY-{rows[0].attempt}",
                execution_date=execution_date,
                payments=[sepa.SepaPayment(
                    name=r.payee_name, iban=ibans.get(r.payee_ref) or "", bic=None,
                    amount_cents=r.amount_cents, end_to_end_id=r.end_to_end_id,
                    description=f"{period} {r.numbers}"[:140]) for r in rows])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xml)
            return path, [r.idempotency_key for r in rows]

    def import_statement(self, xml: bytes) -> ImportResult:
        statement = parse_camt053(xml)
        with transaction(self.session_factory) as session:
            return import_statement_lines(session, statement_id=statement.statement_id,
                                          lines=list(statement.lines))
