"""`ChargingSessionWorkflow`: one durable workflow per charging transaction.

authorize (activity; the snapshot is recorded in history) → answer the charger
(update) → wait for the stop signal, a remote-stop request, or a timeout (maximum
duration, or the charger lost: no stop and no meter summary for too long) →
settle (one activity, idempotent): price, split payout and kickback, post to the
ledger and record the charge detail record. Histories recorded before the
patches below replay price and split as activities of their own.

The workflow orchestrates only: no I/O, no money arithmetic. Durations come in
with the input (`SessionConfig`) so tests can use short ones."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.retry import activity_retry

with workflow.unsafe.imports_passed_through():
    # Activities by method reference (names and types checked by the SDK); the
    # module is passed through, the workflow never runs its database code.
    from activities.errors import FAILS_FOR_GOOD
    from activities.session_activities import SessionActivities
    from domain.live_estimate import estimate_cents
    from domain.meter import went_backwards
    from domain.split import SessionSplit
    from domain.tariff import Tariff
    from workflows.session_types import (
        LiveState,
        MeterSummary,
        PricedResult,
        PriceInput,
        SessionInput,
        SessionResult,
        SessionSnapshot,
        SessionStop,
        SettleInput,
        SplitInput,
        StartAnswer,
        StopRequest,
    )

# Failures a retry cannot fix (pricing arithmetic on impossible input) end
# the attempt at once; the workflow settles the session flagged instead
# (`_unpriced`, `_split`). A database that is down is retried until it is back.
ACTIVITY_RETRY = activity_retry(*FAILS_FOR_GOOD)
# The workflow patch that settles a session whose pricing or split failed for
# good (flagged for finance review) instead of failing the workflow.
SETTLE_UNPRICEABLE = "settle-unpriceable-sessions"
# What a step that failed for good raises in the workflow: a local activity's
# failure arrives as the activity's own ApplicationError, a regular one's wrapped.
STEP_FAILED = (ActivityError, ApplicationError)
# Database activities finish in milliseconds; a worker killed mid-activity is
# noticed after this long and the activity retried on another worker.
ACTIVITY_TIMEOUT = timedelta(seconds=10)
# Every step is a local activity (run by the worker that holds the workflow,
# its result recorded as a marker in history): each saves a server round trip
# (schedule, poll, complete) and a workflow task, and authorize answers the
# charger sooner. Local activities are retried like regular ones (the same
# policy; a long outage by timers in the workflow), and settlement is
# idempotent (keyed by the workflow id), so a retry or a worker killed in the
# middle posts nothing twice.
# The workflow patch that settles as a local activity; histories from before it
# replay the regular activity they recorded.
SETTLE_LOCALLY = "settle-as-local-activity"
# The workflow patch that has the settle step split the session itself (the
# same split from the same recorded inputs, a split that fails for good flagged
# as before): one local activity, one workflow activation and two payloads
# fewer per session (issue 14). Histories from before it replay split_payout.
SPLIT_IN_SETTLE = "split-in-settle"
# The workflow patch that has the settle step price the session too: after the
# stop one local activity, not two (one activation and one dispatch fewer per
# session; issue 14). A session pricing cannot handle is
# settled unpriced and flagged, as before. Histories from before it replay
# price_session.
PRICE_IN_SETTLE = "price-in-settle"


async def _locally(activity_method, arg):
    """A local activity with the workflow's timeout and retry policy."""
    return await workflow.execute_local_activity_method(
        activity_method, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
    )


# Outside the workflow sandbox (issue 14): the sandbox re-imports this module for
# every session it starts (compiling it anew where no bytecode is cached) and
# runs an exec() for every payload it converts, which was the worker's largest
# cost per session. The workflow imports only pure domain code and
# passed-through modules, keeps no module state, and takes time only from
# `workflow.now()`; tests replay every recorded history inside the sandbox
# (tests/workflows/test_session_durability.py), so a non-deterministic call
# added here still fails there.
@workflow.defn(name="ChargingSession", sandboxed=False)
class ChargingSessionWorkflow:
    def __init__(self) -> None:
        self._snapshot: SessionSnapshot | None = None
        self._stop: SessionStop | None = None
        self._stop_request: StopRequest | None = None
        self._last: MeterSummary | None = None
        self._state = "authorizing"
        self._flags: list[str] = []
        self._result: SessionResult | None = None
        self._meter_start_wh = 0
        self._transaction_id = ""
        self._last_heard = None
        self._stop_requested_at = None

    @workflow.run
    async def run(self, data: SessionInput) -> SessionResult:
        start, config = data.start, data.config
        self._transaction_id = start.transaction_id
        self._meter_start_wh = start.meter_start_wh
        self._snapshot = await _locally(SessionActivities.authorize_session, start)
        snap = self._snapshot
        if not snap.accepted:
            self._state = "rejected"
            return SessionResult(
                workflow_id=snap.workflow_id, category=snap.category, accepted=False,
                status=snap.status,
            )
        self._state = "active"
        stop = await self._wait_for_stop(config)

        self._state = "pricing"
        if workflow.patched(PRICE_IN_SETTLE):
            settle = SettleInput(snapshot=snap, stop=stop, priced=None, split=None,
                                 flags=tuple(self._flags), start=start)
            self._result = await _locally(SessionActivities.settle_session, settle)
            self._flags += [flag for flag in ("pricing_failed", "split_failed")
                            if flag in self._result.flags and flag not in self._flags]
            self._state = "settled"
            return self._result
        try:
            priced = await _locally(
                SessionActivities.price_session, PriceInput.of(snap, start, stop)
            )
        except STEP_FAILED as error:
            if not workflow.patched(SETTLE_UNPRICEABLE):
                raise
            priced = self._unpriced(start.meter_start_wh, stop.meter_stop_wh, error)
        if "pricing_failed" in priced.flags:
            # No price, no payouts: nothing is posted until finance prices it.
            split = SessionSplit(category=snap.category)
        elif workflow.patched(SPLIT_IN_SETTLE):
            split = None  # the settle step splits
        else:
            split = await self._split(snap, priced)
        settle = SettleInput(snapshot=snap, stop=stop, priced=priced, split=split,
                             flags=tuple(self._flags))
        if workflow.patched(SETTLE_LOCALLY):
            self._result = await _locally(SessionActivities.settle_session, settle)
        else:
            self._result = await workflow.execute_activity_method(
                SessionActivities.settle_session, settle,
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY,
            )
        if split is None and "split_failed" in self._result.flags:
            self._flags.append("split_failed")
        self._state = "settled"
        return self._result

    async def _split(self, snap: SessionSnapshot, priced: PricedResult) -> SessionSplit:
        try:
            return await _locally(
                SessionActivities.split_payout,
                SplitInput(
                    category=snap.category,
                    energy_wh=priced.energy_wh,
                    consumer_price_cents=priced.consumer_price_cents,
                    compensation_per_kwh=snap.compensation_per_kwh,
                    roaming_fee_per_kwh=snap.roaming_fee_per_kwh,
                ),
            )
        except STEP_FAILED as error:
            if not workflow.patched(SETTLE_UNPRICEABLE):
                raise
            workflow.logger.error("session %s: split failed for good (%s); settled "
                                  "without payouts, flagged", workflow.info().workflow_id,
                                  error.cause or error)
            self._flags.append("split_failed")
            return SessionSplit(category=snap.category)

    def _unpriced(self, meter_start_wh: int, meter_stop_wh: int, error) -> PricedResult:
        """A session pricing cannot handle is still recorded and settled, at no
        charge and flagged, so finance sees it and prices it by hand."""
        workflow.logger.error("session %s: pricing failed for good (%s); settled unpriced, "
                              "flagged", workflow.info().workflow_id, error.cause or error)
        self._flags.append("pricing_failed")
        return PricedResult.unpriced(meter_start_wh, meter_stop_wh)

    async def _wait_for_stop(self, config) -> SessionStop:
        """Until the charger stops, or a limit closes the session from the last
        known meter reading (flagged for finance review)."""
        started = workflow.now()
        self._last_heard = started
        max_end = started + timedelta(seconds=config.max_duration_s)
        while self._stop is None:
            now = workflow.now()
            last_heard = self._last_heard
            deadline = min(max_end, last_heard + timedelta(seconds=config.charger_lost_s))
            reason = "max_duration" if deadline == max_end else "charger_lost"
            if self._stop_request is not None:
                grace_end = self._stop_requested_at + timedelta(seconds=config.stop_grace_s)
                if grace_end < deadline:
                    deadline, reason = grace_end, "remote_stop_unconfirmed"
            remaining = (deadline - now).total_seconds()
            if remaining <= 0:
                return self._close_without_charger(reason)
            heard_before = self._last
            requested_before = self._stop_request
            try:
                await workflow.wait_condition(
                    lambda heard=heard_before, asked=requested_before: self._stop is not None
                    or self._last is not heard
                    or self._stop_request is not asked,
                    timeout=timedelta(seconds=remaining),
                )
            except TimeoutError:
                return self._close_without_charger(reason)
        return self._stop

    def _close_without_charger(self, reason: str) -> SessionStop:
        self._flags.append(f"closed_by_{reason}")
        last_wh = self._last.energy_wh if self._last else self._meter_start_wh
        stopped_at = self._last.measured_at if self._last else workflow.now().isoformat()
        workflow.logger.warning(
            "session %s closed without the charger (%s) at %d Wh",
            workflow.info().workflow_id, reason, last_wh,
        )
        self._stop = SessionStop(
            ocpp_id=self._snapshot.ocpp_id,
            transaction_id=self._transaction_id,
            meter_stop_wh=max(last_wh, self._meter_start_wh),
            stopped_at=stopped_at,
            reason=reason,
        )
        return self._stop

    @workflow.update(name="start_answer")
    async def start_answer(self) -> StartAnswer:
        """The charger's authorization answer; waits for the authorize activity."""
        await workflow.wait_condition(lambda: self._snapshot is not None)
        snap = self._snapshot
        return StartAnswer(
            workflow_id=snap.workflow_id, accepted=snap.accepted, status=snap.status,
            category=snap.category, reason=snap.reason,
        )

    @workflow.signal(name="stop")
    def stop(self, stop: SessionStop) -> None:
        # Duplicates (a retried StopTransaction) change nothing: the first stop wins.
        if self._stop is None:
            self._stop = stop

    @workflow.signal(name="meter_summary")
    def meter_summary(self, summary: MeterSummary) -> None:
        # Late or out-of-order summaries never move the reading backwards.
        self._last_heard = workflow.now()
        previous_wh = self._last.energy_wh if self._last is not None else None
        if not went_backwards(summary.energy_wh, previous_wh):
            self._last = summary

    @workflow.signal(name="request_stop")
    def request_stop(self, request: StopRequest) -> None:
        if self._stop_request is None:
            self._stop_request = request
            self._stop_requested_at = workflow.now()

    @workflow.query(name="live_state")
    def live_state(self) -> LiveState:
        snap = self._snapshot
        energy = 0
        if self._last is not None:
            energy = max(0, self._last.energy_wh - self._meter_start_wh)
        if self._result is not None:
            energy = self._result.energy_wh
        return LiveState(
            workflow_id=workflow.info().workflow_id,
            state=self._state,
            category=snap.category if snap else "unknown",
            energy_wh=energy,
            cost_so_far_cents=self._cost_so_far(energy),
            currency=snap.currency if snap else "EUR",
            flags=tuple(self._flags),
        )

    def _cost_so_far(self, energy_wh: int) -> int:
        if self._result is not None:
            return self._result.consumer_price_cents
        snap = self._snapshot
        if snap is None or snap.category != "roaming" or snap.tariff is None:
            return 0
        # An estimate for display only (energy and flat components); the
        # settled price comes from the price_session activity.
        return estimate_cents(Tariff.from_ocpi(snap.tariff), energy_wh)

