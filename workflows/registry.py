"""Everything the platform worker registers: the workflows and the activities.

The worker (`energycloud worker`) asks this module, so adding a workflow is one
line here."""

from __future__ import annotations


def all_workflows() -> list[type]:
    from workflows.charging_session import ChargingSessionWorkflow
    from workflows.invoice_collection import InvoiceCollectionWorkflow
    from workflows.monthly_settlement import MonthlySettlementLauncher, MonthlySettlementWorkflow

    return [ChargingSessionWorkflow, MonthlySettlementWorkflow, MonthlySettlementLauncher,
            InvoiceCollectionWorkflow]


def all_activities(session_factory, providers: dict | None = None) -> list:
    """Activity callables bound to a database session factory and the payment
    providers the entry point built from settings (none: SEPA files only)."""
    from activities.payment_activities import PaymentActivities
    from activities.session_activities import SessionActivities
    from activities.settlement_activities import SettlementActivities

    return (SessionActivities(session_factory).all() + SettlementActivities(session_factory).all()
            + PaymentActivities(session_factory, providers or {}).all())
