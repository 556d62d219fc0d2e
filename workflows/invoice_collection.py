"""`InvoiceCollectionWorkflow`: one per collected flow, id
`collection:<number>` (the flow's first document number).

    attempt 1 ──paid──► (listens for a chargeback) ──window over──► paid
        │ failed / expired / canceled / charged back
        ▼
    the dunning policy, as data: retry after N (a new attempt), then remind
    and wait, then flag to finance.

The workflow never trusts a webhook: updates come from the API route *after*
it fetched the payment's state from the provider and posted the ledger (once
per payment and status, in the database). The workflow only decides what
happens next. Updates for an older attempt's payment count only when they say
it was paid; a replayed update changes nothing. No I/O; `workflow.now()` via
timers; durations come with the input.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows.retry import activity_retry

with workflow.unsafe.imports_passed_through():
    from activities.payment_activities import PaymentActivities as Acts
    from activities.payment_messages import (
        AttemptInput,
        AttemptResult,
        CollectionInput,
        CollectionResult,
        DunningInput,
        PaymentUpdate,
    )
    from domain.payments import DunningPolicy, DunningStep, dunning_step

FAILED = frozenset({"failed", "expired", "canceled", "charged_back"})
RETRY = activity_retry()


@workflow.defn(name="InvoiceCollection")
class InvoiceCollectionWorkflow:
    def __init__(self) -> None:
        self._status: dict[str, str] = {}  # payment id → latest status
        self._seen: set[tuple[str, str]] = set()
        self._current = ""
        self._attempts = 0
        self._failures = 0
        self._reminders = 0
        self._state = "collecting"

    @workflow.run
    async def run(self, data: CollectionInput) -> CollectionResult:
        c = data.config
        policy = DunningPolicy(c.retry_after_s, c.retries, c.reminder_after_s, c.reminders)
        await self._attempt(data)
        while True:
            await workflow.wait_condition(lambda: self._paid() or self._failed())
            if self._paid():
                self._state = "paid"
                try:  # a direct debit can still be charged back
                    await workflow.wait_condition(
                        self._failed, timeout=timedelta(seconds=c.chargeback_window_s))
                except TimeoutError:
                    return self._result(data, "paid")
            self._failures += 1
            self._state = "dunning"
            step, wait = dunning_step(policy, self._failures)
            if step is DunningStep.RETRY:
                await workflow.sleep(timedelta(seconds=wait))
                if not self._paid():
                    await self._attempt(data)
                continue
            if step is DunningStep.REMIND:
                self._reminders += 1
                await self._act(Acts.dunning, DunningInput(
                    data.number, "remind", self._reminders, self._status[self._current]), c)
                try:
                    await workflow.wait_condition(self._paid, timeout=timedelta(seconds=wait))
                except TimeoutError:
                    self._status[self._current] = "failed"  # still unpaid: the next step
                continue
            await self._act(Acts.dunning, DunningInput(
                data.number, "flag", self._failures,
                f"unpaid after {self._attempts} attempt(s) and {self._reminders} reminder(s)"), c)
            self._state = "flagged"
            return self._result(data, "flagged")

    async def _attempt(self, data: CollectionInput) -> None:
        self._attempts += 1
        result: AttemptResult = await self._act(
            Acts.start_attempt, AttemptInput(data.number, self._attempts), data.config)
        self._current = result.payment_id
        self._status.setdefault(result.payment_id, result.status)

    async def _act(self, method, arg, config):
        timeout = timedelta(seconds=config.activity_timeout_s)
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=timeout, retry_policy=RETRY)

    def _paid(self) -> bool:
        return any(s == "paid" or s == "refunded" for s in self._status.values())

    def _failed(self) -> bool:
        return self._status.get(self._current) in FAILED

    def _result(self, data: CollectionInput, status: str) -> CollectionResult:
        return CollectionResult(data.number, status, self._attempts, self._failures,
                                self._reminders)

    @workflow.signal
    def payment_update(self, update: PaymentUpdate) -> None:
        if (update.payment_id, update.status) in self._seen:
            return  # a replayed webhook
        self._seen.add((update.payment_id, update.status))
        if update.payment_id != self._current and update.status != "paid":
            return  # an older attempt failing late changes nothing
        self._status[update.payment_id] = update.status

    @workflow.query
    def progress(self) -> dict:
        return {"state": self._state, "attempts": self._attempts, "failures": self._failures,
                "reminders": self._reminders, "payment": self._current,
                "status": self._status.get(self._current, "")}
