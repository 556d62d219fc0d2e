"""Activities of the charging session workflow: thin adapters between the
database and the pure domain (authorization, pricing, split, ledger rules).

They are synchronous (blocking database I/O), so the worker runs them on its
thread pool and its event loop stays free for workflow tasks.

Each one is idempotent: a retry, or a replay after a worker is killed, finds
its work already done (upserts keyed by the workflow id; ledger postings keyed
by `<workflow id>:ledger`)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.base import transaction
from db.facts import session_snapshot
from db.ledger import post_entry
from db.models import ChargingSession, MeterValue
from domain.enums import Category
from domain.ledger import session_entry
from domain.pricing import MeterSample, SessionFacts, price_session
from domain.split import SessionSplit, split_session
from domain.tariff import Tariff
from workflows.session_types import (
    PricedResult,
    PriceInput,
    SessionResult,
    SessionSnapshot,
    SessionStart,
    SettleInput,
    SplitInput,
    SplitResult,
    session_workflow_id,
)

log = logging.getLogger(__name__)


def _ts(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ApplicationError(f"timestamp without time zone: {text}", non_retryable=True)
    return value


class SessionActivities:
    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    @activity.defn(name="authorize_session")
    def authorize_session(self, start: SessionStart) -> SessionSnapshot:
        """Decide the session and record it (state active or rejected)."""
        workflow_id = start.workflow_id or session_workflow_id(
            start.ocpp_id, start.transaction_id
        )
        with transaction(self.session_factory) as session:
            snapshot = session_snapshot(
                session, workflow_id=workflow_id, ocpp_id=start.ocpp_id, id_tag=start.id_tag
            )
            row = session.scalar(
                select(ChargingSession).where(ChargingSession.workflow_id == workflow_id)
            )
            if row is None:
                session.add(_session_row(start, snapshot))
        activity.logger.info(
            "session %s at %s with %s: %s (%s)", workflow_id, start.ocpp_id, start.id_tag,
            snapshot.category, snapshot.reason,
        )
        return snapshot

    @activity.defn(name="price_session")
    def price_session(self, data: PriceInput) -> PricedResult:
        """Price the finished session from its frozen tariff and meter timeline."""
        snap = data.snapshot
        started, stopped = _ts(data.started_at), _ts(data.stopped_at)
        flags: list[str] = []
        if stopped < started:
            flags.append("stop_before_start")
            stopped = started
        with self.session_factory() as session:
            rows = session.execute(
                select(MeterValue.measured_at, MeterValue.energy_wh, MeterValue.power_w)
                .where(
                    MeterValue.workflow_id == snap.workflow_id,
                    MeterValue.energy_wh.is_not(None),
                    MeterValue.regressed.is_(False),
                )
                .order_by(MeterValue.measured_at)
            ).all()
        samples = [MeterSample(at=started, energy_wh=data.meter_start_wh)]
        for at, energy_wh, power_w in rows:
            if started < at < stopped and energy_wh >= samples[-1].energy_wh:
                samples.append(MeterSample(at=at, energy_wh=energy_wh, power_w=power_w))
        stop_wh = data.meter_stop_wh
        if stop_wh < samples[-1].energy_wh:
            # The register went backwards: never price negative energy (DOMAIN.md §9).
            flags.append("meter_went_backwards")
            stop_wh = samples[-1].energy_wh
        samples.append(MeterSample(at=stopped, energy_wh=stop_wh))
        if snap.tariff is None:
            raise ApplicationError("session has no tariff in its snapshot", non_retryable=True)
        try:
            priced = price_session(
                Tariff.from_ocpi(snap.tariff),
                SessionFacts(start=started, stop=stopped, time_zone=snap.time_zone,
                             samples=tuple(samples)),
            )
        except (ArithmeticError, ValueError) as exc:
            # The same input fails the same way on every retry (a timestamp at the
            # edge of the calendar, a tariff the engine cannot apply): fail the step
            # and let the workflow settle the session flagged for review.
            raise ApplicationError(
                f"session {snap.workflow_id} cannot be priced: {exc!r}",
                type="PricingImpossible",
                non_retryable=True,
            ) from exc
        return PricedResult(
            energy_wh=priced.energy_wh,
            consumer_price_cents=priced.total_cents,
            total_excl_vat=str(priced.total_excl_vat),
            dimensions=tuple(
                {
                    "type": d.type,
                    "quantity": str(d.quantity),
                    "billed_quantity": str(d.billed_quantity),
                    "price": str(d.price),
                    "amount": str(d.amount),
                }
                for d in priced.dimensions
            ),
            charging_seconds=priced.charging_seconds,
            parking_seconds=priced.parking_seconds,
            flags=tuple(flags),
        )

    @activity.defn(name="split_payout")
    def split_payout(self, data: SplitInput) -> SplitResult:
        """Who owes and who receives what, in cents (DOMAIN.md §5)."""
        split = split_session(
            Category(data.category),
            data.energy_wh,
            data.consumer_price_cents,
            Decimal(data.compensation_per_kwh),
            Decimal(data.roaming_fee_per_kwh),
        )
        return SplitResult(
            category=split.category.value,
            emsp_billed_cents=split.emsp_billed_cents,
            main_org_invoiced_cents=split.main_org_invoiced_cents,
            owner_compensation_cents=split.owner_compensation_cents,
            employee_payout_cents=split.employee_payout_cents,
            partner_fee_cents=split.partner_fee_cents,
            platform_margin_cents=split.platform_margin_cents,
            negative_margin=split.negative_margin,
        )

    @activity.defn(name="settle_session")
    def settle_session(self, data: SettleInput) -> SessionResult:
        """Post the ledger entry and record the charge detail record, in one
        database transaction so the two always agree. Idempotent."""
        snap, split, priced = data.snapshot, data.split, data.priced
        entry = session_entry(
            snap.workflow_id,
            SessionSplit(**{**split.__dict__, "category": Category(split.category)}),
            owner_org_id=snap.organization_id,
            main_org_id=snap.main_organization_id,
            employee_org_id=snap.organization_id,
            partner_id=snap.partner_id,
            emsp_id=snap.emsp_id,
            currency=snap.currency,
        )
        stopped_at = _ts(data.stop.stopped_at)
        entry_id = None
        with transaction(self.session_factory) as session:
            if entry is not None:
                entry_id = post_entry(
                    session, entry, occurred_at=stopped_at, reference=snap.workflow_id
                ).entry_id
            row = session.scalar(
                select(ChargingSession).where(ChargingSession.workflow_id == snap.workflow_id)
            )
            if row is None:
                raise ApplicationError(f"no session row for {snap.workflow_id}")
            # The row's own flags (set at authorization) first. A retry of a settled
            # session finds its flags already merged and keeps them as they are.
            flags = tuple(row.flags or ())
            if row.state != "finished":
                flags = tuple(dict.fromkeys(
                    flags + data.flags + data.stop.flags + priced.flags
                    + (("negative_margin",) if split.negative_margin else ())
                ))
            row.state = "finished"
            row.stopped_at = stopped_at
            row.meter_stop_wh = data.stop.meter_stop_wh
            row.energy_wh = priced.energy_wh
            row.stop_reason = data.stop.reason
            row.pricing = {
                "total_excl_vat": priced.total_excl_vat,
                "dimensions": list(priced.dimensions),
                "charging_seconds": priced.charging_seconds,
                "parking_seconds": priced.parking_seconds,
                "ledger_entry_id": entry_id,
            }
            row.consumer_price_cents = priced.consumer_price_cents
            row.emsp_billed_cents = split.emsp_billed_cents
            row.main_org_invoiced_cents = split.main_org_invoiced_cents
            row.owner_compensation_cents = split.owner_compensation_cents
            row.employee_payout_cents = split.employee_payout_cents
            row.partner_fee_cents = split.partner_fee_cents
            row.platform_margin_cents = split.platform_margin_cents
            row.flags = list(flags)
            row.needs_review = bool(flags)
        activity.logger.info(
            "settled %s: %s, %d Wh, consumer price %d cents, flags %s",
            snap.workflow_id, split.category, priced.energy_wh, priced.consumer_price_cents,
            list(flags),
        )
        return SessionResult(
            workflow_id=snap.workflow_id,
            category=split.category,
            accepted=True,
            status="Accepted",
            energy_wh=priced.energy_wh,
            consumer_price_cents=priced.consumer_price_cents,
            ledger_entry_id=entry_id,
            flags=flags,
        )

    def all(self) -> list:
        return [self.authorize_session, self.price_session, self.split_payout,
                self.settle_session]


def _session_row(start: SessionStart, snap: SessionSnapshot) -> ChargingSession:
    return ChargingSession(
        workflow_id=snap.workflow_id,
        ocpp_id=start.ocpp_id,
        transaction_id=start.transaction_id,
        charging_point_id=snap.charging_point_id,
        connector=start.connector,
        customer_id=snap.customer_id,
        organization_id=snap.organization_id,
        partner_id=snap.partner_id,
        id_tag=start.id_tag,
        card_id=snap.card_id,
        emsp_id=snap.emsp_id,
        category=snap.category,
        state="active" if snap.accepted else "rejected",
        started_at=_ts(start.started_at),
        meter_start_wh=start.meter_start_wh,
        snapshot=snap.__dict__,
        currency=snap.currency,
        # What the ingest already knows finance must look at (e.g. a start rebuilt
        # from an Ended event, a start time that had to be replaced).
        flags=list(start.flags),
        needs_review=bool(start.flags),
    )
