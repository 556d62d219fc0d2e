"""Activities of the charging session workflow: thin adapters between the
repositories (`db.charging_sessions`, `db.ledger`, `db.facts`) and the pure
domain (authorization, pricing, split, ledger rules). No SQL of their own.

They are synchronous (blocking database I/O), so the worker runs them on its
thread pool and its event loop stays free for workflow tasks.

Each one is idempotent: a retry, or a replay after a worker is killed, finds
its work already done (upserts keyed by the workflow id; ledger postings keyed
by `<workflow id>:ledger`). A `DomainError` fails the activity non-retryable
(`activities.errors`)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from functools import partial

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import domain_errors_fail_the_activity, fails_for_good
from activities.session_messages import (
    PricedResult,
    PriceInput,
    SessionResult,
    SessionStart,
    SettleInput,
    SplitInput,
)
from db import charging_sessions
from db.base import reading, transaction
from db.facts import session_snapshot
from db.ledger import post_entry
from domain.enums import Category
from domain.errors import Invalid
from domain.ledger import session_entry
from domain.meter import priced_timeline
from domain.pricing import SessionFacts, price_session
from domain.session_snapshot import SessionSnapshot, session_workflow_id
from domain.split import SessionSplit, split_session
from domain.tariff import Tariff

log = logging.getLogger(__name__)


def _ts(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise Invalid(f"timestamp without time zone: {text}", code="timestamp_without_zone")
    return value


def _split(data: SplitInput) -> SessionSplit:
    return split_session(
        Category(data.category),
        data.energy_wh,
        data.consumer_price_cents,
        Decimal(data.compensation_per_kwh),
        Decimal(data.roaming_fee_per_kwh),
    )


def _split_for_settlement(
    snap: SessionSnapshot, priced: PricedResult
) -> tuple[SessionSplit, tuple[str, ...]]:
    """The split the settle step makes itself (workflow patch split-in-settle;
    before it, the split_payout activity's): the same split from the same
    recorded inputs, so a retried settlement posts the same entry. A split that
    fails for good (what the split step's retry policy would not retry) settles
    the session without payouts, flagged split_failed, as the workflow did; any
    other error fails the attempt, to be retried."""
    if "pricing_failed" in priced.flags:
        return SessionSplit(category=snap.category), ()  # no price, no payouts
    try:
        return _split(SplitInput(
            category=snap.category, energy_wh=priced.energy_wh,
            consumer_price_cents=priced.consumer_price_cents,
            compensation_per_kwh=snap.compensation_per_kwh,
            roaming_fee_per_kwh=snap.roaming_fee_per_kwh,
        )), ()
    except Exception as error:
        if not fails_for_good(error):
            raise
        activity.logger.error(
            "session %s: split failed for good (%r); settled without payouts, flagged",
            snap.workflow_id, error)
        return SessionSplit(category=snap.category), ("split_failed",)


class SessionActivities:
    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory
        bind = session_factory.kw.get("bind") if session_factory is not None else None
        self._reads_wait_for_writers = bind is None or bind.dialect.name == "sqlite"

    @activity.defn(name="authorize_session")
    def authorize_session(self, start: SessionStart) -> SessionSnapshot:
        """Decide the session and record it (state active or rejected)."""
        with domain_errors_fail_the_activity():
            workflow_id = start.workflow_id or session_workflow_id(
                start.ocpp_id, start.transaction_id
            )
            decide = partial(
                session_snapshot, workflow_id=workflow_id, ocpp_id=start.ocpp_id,
                id_tag=start.id_tag,
            )
            record = partial(
                charging_sessions.record_authorized,
                transaction_id=start.transaction_id,
                connector=start.connector,
                started_at=_ts(start.started_at),
                meter_start_wh=start.meter_start_wh,
                flags=start.flags,
            )
            # The charger waits for this write, so it goes before other writers
            # waiting their turn (SQLite).
            if self._reads_wait_for_writers:
                # SQLite: decided in a read, recorded in a short write, so the
                # writer's lock is not held while the facts are read.
                with reading(self.session_factory) as db:
                    snapshot = decide(db)
                with transaction(self.session_factory, urgent=True) as db:
                    record(db, snapshot=snapshot)
            else:
                # PostgreSQL: one transaction (a checkout and three round trips fewer).
                with transaction(self.session_factory, urgent=True) as db:
                    snapshot = decide(db)
                    record(db, snapshot=snapshot)
            activity.logger.info(
                "session %s at %s with %s: %s (%s)", workflow_id, start.ocpp_id, start.id_tag,
                snapshot.category, snapshot.reason,
            )
            return snapshot

    @activity.defn(name="price_session")
    def price_session(self, data: PriceInput) -> PricedResult:
        """Price the finished session from its frozen tariff and meter timeline."""
        with domain_errors_fail_the_activity():
            return self._priced(data)

    def _priced(self, data: PriceInput) -> PricedResult:
        snap = data.snapshot
        with reading(self.session_factory) as db:
            readings = charging_sessions.meter_timeline(db, workflow_id=snap.workflow_id)
        started = _ts(data.started_at)
        timeline = priced_timeline(
            started_at=started,
            stopped_at=_ts(data.stopped_at),
            meter_start_wh=data.meter_start_wh,
            meter_stop_wh=data.meter_stop_wh,
            readings=readings,
        )
        if snap.tariff is None:
            raise Invalid("session has no tariff in its snapshot", code="session.no_tariff")
        try:
            priced = price_session(
                Tariff.from_ocpi(snap.tariff),
                SessionFacts(
                    start=started,
                    stop=timeline.stopped_at,
                    time_zone=snap.time_zone,
                    samples=timeline.samples,
                ),
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
        return PricedResult.from_domain(priced, flags=timeline.flags)

    def _priced_for_settlement(self, data: PriceInput) -> PricedResult:
        """The price the settle step makes itself (workflow patch price-in-settle;
        before it, the price_session activity's). A session pricing cannot handle
        (what the price step's retry policy would not retry) is settled at no
        charge, flagged pricing_failed, as the workflow did; any other error (a
        database that is down) fails the attempt, to be retried."""
        try:
            return self._priced(data)
        except Exception as error:
            impossible = isinstance(error, ApplicationError) and error.non_retryable
            if not (impossible or fails_for_good(error)):
                raise
            activity.logger.error(
                "session %s: pricing failed for good (%s); settled unpriced, flagged",
                data.snapshot.workflow_id, error)
            return PricedResult.unpriced(data.meter_start_wh, data.meter_stop_wh)

    @activity.defn(name="split_payout")
    def split_payout(self, data: SplitInput) -> SessionSplit:
        """Who owes and who receives what, in cents (DOMAIN.md §5)."""
        with domain_errors_fail_the_activity():
            return _split(data)

    @activity.defn(name="settle_session")
    def settle_session(self, data: SettleInput) -> SessionResult:
        """Post the ledger entry and record the charge detail record, in one
        database transaction so the two always agree. Idempotent."""
        with domain_errors_fail_the_activity():
            snap, split, priced = data.snapshot, data.split, data.priced
            if priced is None:
                priced = self._priced_for_settlement(
                    PriceInput.of(snap, data.start, data.stop)
                )
            split_flags: tuple[str, ...] = ()
            if split is None:
                split, split_flags = _split_for_settlement(snap, priced)
            entry = session_entry(
                snap.workflow_id,
                split,
                owner_org_id=snap.organization_id,
                main_org_id=snap.main_organization_id,
                employee_org_id=snap.organization_id,
                partner_id=snap.partner_id,
                emsp_id=snap.emsp_id,
                currency=snap.currency,
            )
            stopped_at = _ts(data.stop.stopped_at)
            flags = tuple(dict.fromkeys(
                data.flags + split_flags + data.stop.flags + priced.flags
                + (("negative_margin",) if split.negative_margin else ())
            ))
            entry_id = None
            with transaction(self.session_factory) as db:
                if entry is not None:
                    entry_id = post_entry(
                        db, entry, occurred_at=stopped_at, reference=snap.workflow_id
                    ).entry_id
                # The row's own flags (set at authorization) come first; a retry
                # of a settled session keeps the flags it already has.
                settled_flags = charging_sessions.record_settled(
                    db,
                    workflow_id=snap.workflow_id,
                    settlement=charging_sessions.Settlement(
                        stopped_at=stopped_at,
                        meter_stop_wh=data.stop.meter_stop_wh,
                        energy_wh=priced.energy_wh,
                        stop_reason=data.stop.reason,
                        pricing={
                            "total_excl_vat": priced.total_excl_vat,
                            "dimensions": list(priced.dimensions),
                            "charging_seconds": priced.charging_seconds,
                            "parking_seconds": priced.parking_seconds,
                            "ledger_entry_id": entry_id,
                        },
                        consumer_price_cents=priced.consumer_price_cents,
                        split=split,
                        flags=flags,
                    ),
                )
                if settled_flags is None:
                    # Retryable on purpose: the row is written at authorization.
                    raise ApplicationError(f"no session row for {snap.workflow_id}")
                flags = settled_flags
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
