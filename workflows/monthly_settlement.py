"""`MonthlySettlementWorkflow`: one durable workflow per period, id
`settlement:<YYYY-MM>` (DOMAIN.md §8, ARCHITECTURE.md).

State machine (the period's state in the database follows it):

    export → compute → issue (numbers, ledger) → render (parallel) → files
      → reconcile → awaiting_approval ──approve──► approved → payouts_released → settled
             ▲                          │
             └──────────reject──────────┘  (after corrections: a new run from export)

* export: the period's sessions (and late ones never settled) to parquet;
* compute: every document of the period; in a later run (after a rejection)
  the difference to what is already issued, as credit notes;
* issue: numbers and ledger postings in one transaction per batch;
* render: one activity per small batch of documents, all at once;
* files: the settlement file and the SEPA files (pain.001 payouts, pain.008
  direct debits); a payee with an invalid IBAN blocks approval;
* reconcile: documents against the ledger; a mismatch blocks approval;
* awaiting_approval: waits for the `approve(by, at)` or `reject(by, reason)`
  signal, reminding finance on timers; an approval while blocked is refused
  (recorded in the query), and so is one that the reconciliation, run again
  when it arrives, no longer supports; a rejection starts a new run;
* approved → payouts released (payout entries posted) → settled → the
  collection workflow of every flow collected by direct debit or Mollie starts
  (`collection:<number>`, a child that outlives this one; a flow whose provider
  this worker lacks waits for `energycloud collect`).

A settled period is corrected only by a supplementary run (`supplementary` n,
id `settlement:<YYYY-MM>:supplementary-<n>`): the same steps issue credit notes
for the difference (nothing to correct: it ends at once); its payouts are not
released on their own (SCENARIOS.md nets them with the next payments).

Every activity is idempotent per period, so a worker killed at any step resumes
without a second document, number or posting. The workflow does no I/O and no
money arithmetic; durations come with the input.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, WorkflowAlreadyStartedError

from workflows.invoice_collection import InvoiceCollectionWorkflow
from workflows.retry import activity_retry

with workflow.unsafe.imports_passed_through():
    from activities.payment_activities import PaymentActivities
    from activities.payment_messages import CollectionInput, CollectionPlan, collection_workflow_id
    from activities.settlement_activities import SettlementActivities as Acts
    from activities.settlement_messages import (
        Approval,
        ComputeResult,
        DecisionInput,
        DeliverInput,
        DeliveryOutcome,
        DeliveryPlan,
        DeliveryPlanInput,
        ExportResult,
        FilesResult,
        IssueResult,
        ReconcileResult,
        Rejection,
        ReminderInput,
        RenderInput,
        RenderResult,
        SettlementInput,
        SettlementProgress,
        SettlementResult,
        StepInput,
    )

# The workflow patch that starts the collections after approval; periods
# settled before it replay without.
COLLECT_AFTER_APPROVAL = "collect-after-approval"
# Mistakes in data (an unknown period, a refused document) do not heal by retrying.
RETRY = activity_retry("DocumentAlreadyIssued", "SessionAlreadySettled", "ValueError")


@workflow.defn(name="MonthlySettlement")
class MonthlySettlementWorkflow:
    def __init__(self) -> None:
        self._period = ""
        self._supplementary = 0
        self._step = "export"
        self._done: list[str] = []
        self._run = 1
        self._blocked: str | None = None
        self._reminders = 0
        self._refused: str | None = None
        self._reconciliation: str | None = None
        self._files: tuple[str, ...] = ()
        self._approval: Approval | None = None
        self._rejection: Rejection | None = None
        self._deliveries: dict[str, str] = {}
        self._undeliverable: tuple[str, ...] = ()
        self._collections: tuple[str, ...] = ()
        self._collections_waiting: tuple[str, ...] = ()

    @workflow.run
    async def run(self, data: SettlementInput) -> SettlementResult:
        self._period, self._supplementary = data.period, data.supplementary
        while True:
            self._approval = self._rejection = None
            if not await self._compute_and_issue(data):
                self._step = "settled"  # a supplementary run with nothing to correct
                return SettlementResult(data.period, "settled", "", (), (), self._run)
            decision = await self._await_decision(data)
            if isinstance(decision, Approval):
                break
            self._run += 1
            self._done = []
            self._blocked = self._refused = None
        at = self._approval.at if self._approval else workflow.now().isoformat()
        decision_input = DecisionInput(data.period, self._approval.by, at, "", data.work_dir,
                                       self._run, data.supplementary)
        await self._activity(Acts.approve_period, decision_input, None, data)
        delivering = None
        # Workflows approved before documents were mailed replay without this step.
        if workflow.patched("deliver-documents"):
            # Alongside releasing the payouts: a mail server that is down delays
            # the mail (retried with backoff), never the money.
            delivering = asyncio.create_task(self._deliver(data, decision_input))
        self._step = "payouts_released"
        if not data.supplementary:  # a correction's credit notes are netted later
            await self._activity(Acts.release_payouts, decision_input, None, data)
        self._step = "settled"
        result = await self._activity(
            Acts.settle_period, decision_input, SettlementResult, data
        )
        # A correction's credit notes are netted with the next collections.
        if not data.supplementary and workflow.patched(COLLECT_AFTER_APPROVAL):
            await self._start_collections(data)
        if delivering is not None:
            await delivering
        return result

    async def _start_collections(self, data: SettlementInput) -> None:
        plan: CollectionPlan = await self._activity(
            PaymentActivities.plan_collections, data.period, CollectionPlan, data)
        self._collections_waiting = plan.waiting
        for number in plan.numbers:
            try:
                await workflow.start_child_workflow(
                    InvoiceCollectionWorkflow.run, CollectionInput(number, data.config.dunning),
                    id=collection_workflow_id(number),
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:  # `energycloud collect` was first
                workflow.logger.info("collection:%s is already running", number)
            self._collections += (number,)
        if "collect" not in self._done:
            self._done.append("collect")

    async def _deliver(self, data: SettlementInput, decision: DecisionInput) -> None:
        """Mail every document of the run: one activity per document."""
        # By name: the delivery activities' module (SMTP, templates) stays out of
        # the workflow sandbox.
        timeout = timedelta(seconds=data.config.activity_timeout_s)
        plan = await workflow.execute_activity(
            "plan_document_deliveries",
            DeliveryPlanInput(data.period, data.work_dir, self._run, data.supplementary,
                              decision.by),
            result_type=DeliveryPlan, start_to_close_timeout=timeout, retry_policy=RETRY)
        self._undeliverable = plan.no_address
        self._deliveries = {key: "queued" for key in plan.keys}
        await asyncio.gather(*(self._deliver_one(key, data) for key in plan.keys))
        if "deliver" not in self._done:
            self._done.append("deliver")

    async def _deliver_one(self, key: str, data: SettlementInput) -> None:
        c = data.config
        try:
            outcome = await workflow.execute_activity(
                "deliver_document", DeliverInput(key), result_type=DeliveryOutcome,
                start_to_close_timeout=timedelta(seconds=c.delivery_timeout_s),
                schedule_to_close_timeout=timedelta(seconds=c.delivery_give_up_s),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=c.delivery_retry_initial_s),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=c.delivery_retry_max_s),
                ),
            )
            self._deliveries[key] = outcome.status
        except ActivityError as exc:  # gave up: the delivery row keeps the last error
            workflow.logger.warning("delivery %s given up: %s", key, exc.cause or exc)
            self._deliveries[key] = "failed_temporary"

    async def _compute_and_issue(self, data: SettlementInput) -> bool:
        """One run up to awaiting approval; False when a supplementary run finds
        nothing to correct."""
        step = StepInput(data.period, data.work_dir, self._run, data.supplementary)
        self._step = "export"
        await self._activity(Acts.export_period, step, ExportResult, data)
        self._mark("export", "compute")
        computed: ComputeResult = await self._activity(
            Acts.compute_period, step, ComputeResult, data
        )
        if data.supplementary and computed.documents == 0:
            return False
        self._mark("compute", "issue")
        issued: IssueResult = await self._activity(Acts.issue_documents, step, IssueResult, data)
        self._mark("issue", "render")
        size = max(1, data.config.render_batch_size)
        batches = [issued.numbers[i:i + size] for i in range(0, len(issued.numbers), size)]
        await asyncio.gather(*(
            self._activity(Acts.render_documents, RenderInput(data.period, data.work_dir, batch),
                           RenderResult, data)
            for batch in batches
        ))
        self._mark("render", "files")
        files: FilesResult = await self._activity(Acts.write_files, step, FilesResult, data)
        self._files = files.files
        self._mark("files", "reconcile")
        result: ReconcileResult = await self._activity(
            Acts.reconcile_period, step, ReconcileResult, data
        )
        self._reconciliation = result.description
        reasons = [r for r in (files.blocked, None if result.ok else result.description) if r]
        self._blocked = "\n".join(reasons) or None
        # The period is awaiting approval in the database before the workflow
        # says so: a decision can only arrive once both agree.
        await self._activity(
            Acts.await_approval, ReminderInput(data.period, 0, self._blocked), None, data
        )
        self._mark("reconcile", "awaiting_approval")
        return True

    async def _await_decision(self, data: SettlementInput) -> Approval | Rejection:
        wait = timedelta(seconds=data.config.reminder_after_s)
        while True:
            try:
                await workflow.wait_condition(
                    lambda: self._approval is not None or self._rejection is not None,
                    timeout=wait,
                )
            except TimeoutError:
                self._reminders += 1
                await self._activity(
                    Acts.remind_finance, ReminderInput(data.period, self._reminders, self._blocked),
                    None, data,
                )
                wait = timedelta(seconds=data.config.reminder_every_s)
                continue
            if self._rejection is not None:
                rejection = self._rejection
                at = rejection.at or workflow.now().isoformat()
                await self._activity(
                    Acts.reject_period,
                    DecisionInput(data.period, rejection.by, at, rejection.reason), None, data,
                )
                return rejection
            approval = self._approval
            # Reconcile again at the moment of approval: finance approves what the
            # ledger and the stored documents say now, not what they said earlier.
            check: ReconcileResult = await self._activity(
                Acts.reconcile_period,
                StepInput(data.period, data.work_dir, self._run, data.supplementary),
                ReconcileResult, data,
            )
            if check.ok:
                return approval
            self._blocked = self._reconciliation = check.description
            self._refused = f"approval by {approval.by} refused: {check.description}"
            self._approval = None

    def _mark(self, done: str, next_step: str) -> None:
        if done not in self._done:
            self._done.append(done)
        self._step = next_step

    async def _activity(self, method, arg, _result_type, data: SettlementInput):
        # The result type comes from the method's annotation.
        timeout = timedelta(seconds=data.config.activity_timeout_s)
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=timeout,
            heartbeat_timeout=timeout, retry_policy=RETRY,
        )

    @workflow.signal
    def approve(self, approval: Approval) -> None:
        if self._step != "awaiting_approval":
            self._refused = f"approval by {approval.by} refused: the period is at {self._step}"
        elif self._blocked:
            self._refused = f"approval by {approval.by} refused: {self._blocked}"
        else:
            self._approval = approval
            self._refused = None

    @workflow.signal
    def reject(self, rejection: Rejection) -> None:
        if self._step == "awaiting_approval" and self._approval is None:
            self._rejection = rejection
            self._step = "export"  # a new run starts; an approval now is refused

    @workflow.query
    def progress(self) -> SettlementProgress:
        return SettlementProgress(
            period=self._period, step=self._step, done=tuple(self._done), run=self._run,
            blocked=self._blocked, supplementary=self._supplementary,
            reminders=self._reminders, refused=self._refused,
            reconciliation=self._reconciliation, files=self._files,
            deliveries=tuple(f"{k} {v}" for k, v in self._deliveries.items()),
            undeliverable=self._undeliverable, collections=self._collections,
            collections_waiting=self._collections_waiting,
        )


@workflow.defn(name="MonthlySettlementLauncher")
class MonthlySettlementLauncher:
    """What the monthly schedule starts: settle the previous month in the
    platform's time zone as `settlement:<YYYY-MM>` (already running or done:
    nothing to do), so the settlement workflow keeps its id per period."""

    @workflow.run
    async def run(self, data: SettlementInput) -> str:
        period = data.period or _previous_month(workflow.now())
        try:
            await workflow.start_child_workflow(
                MonthlySettlementWorkflow.run,
                SettlementInput(period, data.work_dir, data.config),
                id=f"settlement:{period}",
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:  # started by `energycloud settle` already
            workflow.logger.info("settlement:%s is already running or done", period)
        return period


def _previous_month(now) -> str:
    # The schedule fires on the 1st at 06:00 Europe/Amsterdam (04:00/05:00 UTC):
    # the UTC date is the 1st too, so the previous month is the same in both zones.
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{month:02d}"
