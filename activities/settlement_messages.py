"""Inputs and outputs of the monthly settlement workflow and its activities.

Frozen dataclasses with primitive fields (paths as strings, timestamps as ISO
8601 strings, money as int cents) so they pass Temporal's default converter.
Documents themselves never travel through workflow history: activities read
them from the database (issued) or from the period's work directory (computed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from activities.payment_messages import DunningConfig

STEPS = ("export", "compute", "issue", "render", "files", "reconcile")


def settlement_workflow_id(period: str, supplementary: int = 0) -> str:
    """`settlement:2026-10`; a supplementary run of a settled period (its
    corrections, as credit notes) is `settlement:2026-10:supplementary-1`."""
    base = f"settlement:{period}"
    return f"{base}:supplementary-{supplementary}" if supplementary else base


@dataclass(frozen=True)
class SettlementConfig:
    """Durations the workflow waits, passed in so tests can use short ones."""

    reminder_after_s: int = 24 * 3600  # first reminder to finance
    reminder_every_s: int = 24 * 3600
    activity_timeout_s: int = 300  # a killed worker's activity is retried after this
    render_batch_size: int = 2  # documents per render activity (they run in parallel)
    # Mailing the documents after approval: a temporary SMTP failure is retried
    # with backoff from `delivery_retry_initial_s` up to `delivery_retry_max_s`
    # apart, and given up (left visible to finance) after `delivery_give_up_s`.
    delivery_timeout_s: int = 120
    delivery_retry_initial_s: int = 10
    delivery_retry_max_s: int = 600
    delivery_give_up_s: int = 24 * 3600
    # The dunning of the collections an approved period starts.
    dunning: DunningConfig = field(default_factory=DunningConfig)


@dataclass(frozen=True)
class SettlementInput:
    period: str  # "2026-10"
    work_dir: str  # root of the settlement files; the period's go under <work_dir>/<period>
    config: SettlementConfig = field(default_factory=SettlementConfig)
    supplementary: int = 0  # n > 0: the n-th correction run of an already settled period


@dataclass(frozen=True)
class StepInput:
    period: str
    work_dir: str
    run: int = 1  # 1 + how often finance sent the period back
    supplementary: int = 0


@dataclass(frozen=True)
class ExportResult:
    export_dir: str
    sessions: int
    late_sessions: int


@dataclass(frozen=True)
class ComputeResult:
    documents_file: str
    documents: int  # to issue in this run (documents, or credit notes after a rejection)


@dataclass(frozen=True)
class IssueResult:
    numbers: tuple[str, ...]  # every issued document of the period, in order


@dataclass(frozen=True)
class RenderInput:
    period: str
    work_dir: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class RenderedPdf:
    number: str
    path: str
    sha256: str


@dataclass(frozen=True)
class RenderResult:
    pdfs: tuple[RenderedPdf, ...]


@dataclass(frozen=True)
class FilesResult:
    files: tuple[str, ...]  # settlement file (parquet, CSV, totals), SEPA files
    blocked: str | None = None  # e.g. a payee without a valid IBAN


@dataclass(frozen=True)
class ReconcileResult:
    ok: bool
    description: str
    in_cents: int
    out_cents: int
    kept_cents: int
    vat_payable_cents: int


@dataclass(frozen=True)
class Approval:
    by: str
    at: str  # ISO 8601


@dataclass(frozen=True)
class Rejection:
    by: str
    reason: str
    at: str = ""  # ISO 8601; the workflow's time when empty


@dataclass(frozen=True)
class DecisionInput:
    period: str
    by: str
    at: str
    reason: str = ""
    work_dir: str = ""  # where the run's payment files are (releasing payouts)
    run: int = 1
    supplementary: int = 0


@dataclass(frozen=True)
class ReminderInput:
    period: str
    reminder: int  # 1, 2, …
    blocked: str | None = None


@dataclass(frozen=True)
class DocumentSummary:
    number: str
    kind: str
    recipient: str
    net_cents: int
    vat_cents: int
    total_cents: int
    pdf_path: str | None = None
    corrects_number: str | None = None


@dataclass(frozen=True)
class SettlementProgress:
    """What the workflow's query shows (the CLI's progress bar and table)."""

    period: str
    step: str  # one of STEPS, then awaiting_approval, payouts_released, settled
    done: tuple[str, ...]
    run: int
    blocked: str | None = None
    supplementary: int = 0
    reminders: int = 0
    refused: str | None = None  # why the last approval was refused
    reconciliation: str | None = None
    files: tuple[str, ...] = ()
    # After approval: each document's delivery ("<number>/1 sent") and the
    # recipients without an address, listed for finance.
    deliveries: tuple[str, ...] = ()
    undeliverable: tuple[str, ...] = ()
    # After approval: the flows whose collection workflow started, and those
    # waiting for a provider this worker lacks ("<number> <method>").
    collections: tuple[str, ...] = ()
    collections_waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class SettlementResult:
    period: str
    state: str
    approved_by: str
    documents: tuple[DocumentSummary, ...]
    files: tuple[str, ...]
    runs: int


# Mailing the documents after approval (activities/delivery_activities.py).
@dataclass(frozen=True)
class DeliveryPlanInput:
    period: str
    work_dir: str
    run: int = 1
    supplementary: int = 0
    by: str = ""  # who approved: the first sends are on their behalf


@dataclass(frozen=True)
class DeliveryPlan:
    keys: tuple[str, ...]  # deliveries to send (one activity each)
    no_address: tuple[str, ...]  # "<number> <recipient>: why", listed for finance


@dataclass(frozen=True)
class DeliverInput:
    key: str  # "<document number>/<n>"


@dataclass(frozen=True)
class DeliveryOutcome:
    key: str
    status: str  # sent | failed_permanent | no_address | unconfirmed
    detail: str = ""
