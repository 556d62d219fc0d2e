"""The session workflow's orchestration alone: the four session activities are
swapped for fakes registered under the same names (`@activity.defn(name=...)`),
so these tests need no database, only the Temporal dev server. They prove what
the workflow passes from one step to the next and what it does when a step
fails for good."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from domain.split import SessionSplit
from workflows.charging_session import ChargingSessionWorkflow
from workflows.session_types import (
    PricedResult,
    PriceInput,
    SessionInput,
    SessionResult,
    SessionSnapshot,
    SessionStart,
    SessionStop,
    SettleInput,
    SplitInput,
)

STARTED, STOPPED = "2026-10-14T19:00:00+00:00", "2026-10-14T21:00:00+00:00"


@dataclass
class FakeSessionActivities:
    """Same names as `SessionActivities`; records what each step received."""

    pricing_fails: bool = False
    calls: dict[str, list] = field(default_factory=dict)

    def _record(self, name: str, arg) -> None:
        self.calls.setdefault(name, []).append(arg)

    def all(self) -> list:
        @activity.defn(name="authorize_session")
        async def authorize(start: SessionStart) -> SessionSnapshot:
            self._record("authorize_session", start)
            return SessionSnapshot(
                workflow_id=start.workflow_id, accepted=True, status="Accepted",
                category="reimbursed", reason="fake", ocpp_id=start.ocpp_id,
                id_tag=start.id_tag, compensation_per_kwh="0.25",
            )

        @activity.defn(name="price_session")
        async def price(data: PriceInput) -> PricedResult:
            self._record("price_session", data)
            if self.pricing_fails:
                raise ApplicationError("cannot be priced", type="PricingImpossible",
                                       non_retryable=True)
            energy = data.meter_stop_wh - data.meter_start_wh
            return PricedResult(energy_wh=energy, consumer_price_cents=energy // 10,
                                total_excl_vat="0")

        @activity.defn(name="split_payout")
        async def split(data: SplitInput) -> SessionSplit:
            self._record("split_payout", data)
            return SessionSplit(category=data.category,
                               main_org_invoiced_cents=data.consumer_price_cents,
                               employee_payout_cents=data.consumer_price_cents)

        @activity.defn(name="settle_session")
        async def settle(data: SettleInput) -> SessionResult:
            self._record("settle_session", data)
            priced = data.priced
            if priced is None:  # it prices itself (patch price-in-settle), as the real one
                start_wh, stop_wh = data.start.meter_start_wh, data.stop.meter_stop_wh
                energy = stop_wh - start_wh
                priced = (
                    PricedResult.unpriced(start_wh, stop_wh)
                    if self.pricing_fails
                    else PricedResult(energy_wh=energy, consumer_price_cents=energy // 10,
                                      total_excl_vat="0")
                )
            return SessionResult(
                workflow_id=data.snapshot.workflow_id, category=data.snapshot.category,
                accepted=True, status="Accepted", energy_wh=priced.energy_wh,
                consumer_price_cents=priced.consumer_price_cents,
                flags=data.flags + priced.flags,
            )

        return [authorize, price, split, settle]


async def _run_session(client, task_queue: str, fakes: FakeSessionActivities) -> SessionResult:
    workflow_id = f"session:fake:CP-1:{uuid.uuid4().hex[:8]}"
    start = SessionStart(ocpp_id="CP-1", transaction_id="1", connector=1, id_tag="TAG",
                         meter_start_wh=1_000, started_at=STARTED, workflow_id=workflow_id)
    async with Worker(client, task_queue=task_queue, workflows=[ChargingSessionWorkflow],
                      activities=fakes.all()):
        handle = await client.start_workflow(
            ChargingSessionWorkflow.run, SessionInput(start=start), id=workflow_id,
            task_queue=task_queue,
        )
        await handle.signal(ChargingSessionWorkflow.stop, SessionStop(
            ocpp_id="CP-1", transaction_id="1", meter_stop_wh=21_000, stopped_at=STOPPED))
        return await handle.result()


async def test_each_step_gets_what_the_step_before_it_decided(temporal_client, task_queue):
    fakes = FakeSessionActivities()
    result = await _run_session(temporal_client, task_queue, fakes)
    assert (result.energy_wh, result.consumer_price_cents, result.flags) == (20_000, 2_000, ())
    # The settle step prices and splits (patches price-in-settle, split-in-settle)
    # from what it is given: the start and stop, and the snapshot
    # (tests/activities/test_settle_splits.py).
    assert "price_session" not in fakes.calls and "split_payout" not in fakes.calls
    [settle_input] = fakes.calls["settle_session"]
    assert settle_input.priced is None and settle_input.split is None
    start, stop = settle_input.start, settle_input.stop
    assert (start.started_at, stop.stopped_at) == (STARTED, STOPPED)
    assert (start.meter_start_wh, stop.meter_stop_wh) == (1_000, 21_000)
    assert settle_input.snapshot.category == "reimbursed"
    assert settle_input.snapshot.compensation_per_kwh == "0.25"
    assert settle_input.snapshot.workflow_id == result.workflow_id


async def test_a_session_that_cannot_be_priced_settles_unpriced_and_flagged(
    temporal_client, task_queue
):
    fakes = FakeSessionActivities(pricing_fails=True)
    result = await _run_session(temporal_client, task_queue, fakes)
    assert "price_session" not in fakes.calls and "split_payout" not in fakes.calls
    assert len(fakes.calls["settle_session"]) == 1
    assert (result.energy_wh, result.consumer_price_cents) == (20_000, 0)
    assert "pricing_failed" in result.flags
