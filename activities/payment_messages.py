"""Inputs and outputs of the per-invoice `InvoiceCollectionWorkflow` and its
activities: frozen dataclasses of primitives (money as int cents, durations
as seconds) for Temporal's default converter."""

from __future__ import annotations

from dataclasses import dataclass, field


def collection_workflow_id(number: str) -> str:
    """`collection:<first document number of the flow>`, e.g. `collection:INV-2026-000001`."""
    return f"collection:{number}"


def sepa_attempt_id(number: str, attempt: int) -> str:
    """A direct debit attempt as the collection workflow knows it: every attempt
    of a flow carries the same end-to-end id, so the attempt tells them apart."""
    return f"{number}/{attempt}"


@dataclass(frozen=True)
class DunningConfig:
    """The dunning policy as data (domain.payments.DunningPolicy) plus how long a
    paid collection keeps listening for a chargeback."""

    retry_after_s: int = 5 * 86400
    retries: int = 1
    reminder_after_s: int = 7 * 86400
    reminders: int = 1
    chargeback_window_s: int = 56 * 86400  # SEPA: 8 weeks to charge back a direct debit
    activity_timeout_s: int = 60


@dataclass(frozen=True)
class CollectionPlan:
    """What the settlement workflow starts after approval: the flows whose
    provider this worker has (`numbers`), and those left for `energycloud
    collect` once it has (`waiting`, "<number> <method>")."""

    numbers: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectionInput:
    number: str  # the flow's first document number (the end-to-end id)
    config: DunningConfig = field(default_factory=DunningConfig)


@dataclass(frozen=True)
class AttemptInput:
    number: str
    attempt: int


@dataclass(frozen=True)
class AttemptResult:
    payment_id: str
    method: str
    status: str


@dataclass(frozen=True)
class PaymentUpdate:
    """What the provider says now about one payment (fetched, never posted to us)."""

    payment_id: str
    status: str  # paid | failed | expired | canceled | charged_back | refunded | open | pending


@dataclass(frozen=True)
class DunningInput:
    number: str
    step: str  # remind | flag
    count: int
    reason: str = ""


@dataclass(frozen=True)
class CollectionResult:
    number: str
    status: str  # paid | flagged
    attempts: int
    failures: int
    reminders: int
