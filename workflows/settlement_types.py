"""Inputs and outputs of `MonthlySettlementWorkflow` (defined with its
activities in activities/settlement_messages.py, since activities may not import
workflows); re-exported so `from workflows.settlement_types import X` works."""

from activities.settlement_messages import (
    STEPS,
    Approval,
    ComputeResult,
    DecisionInput,
    DocumentSummary,
    ExportResult,
    FilesResult,
    IssueResult,
    ReconcileResult,
    Rejection,
    ReminderInput,
    RenderedPdf,
    RenderInput,
    RenderResult,
    SettlementConfig,
    SettlementInput,
    SettlementProgress,
    SettlementResult,
    StepInput,
    settlement_workflow_id,
)

__all__ = [
    "Approval",
    "ComputeResult",
    "DecisionInput",
    "DocumentSummary",
    "ExportResult",
    "FilesResult",
    "IssueResult",
    "ReconcileResult",
    "Rejection",
    "ReminderInput",
    "RenderInput",
    "RenderResult",
    "RenderedPdf",
    "STEPS",
    "SettlementConfig",
    "SettlementInput",
    "SettlementProgress",
    "SettlementResult",
    "StepInput",
    "settlement_workflow_id",
]
