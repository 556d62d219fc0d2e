"""Everything the platform worker registers: the workflows and the activities.

The worker (`energycloud worker`) asks this module, so adding a workflow is one
line here."""

from __future__ import annotations


def all_workflows() -> list[type]:
    from workflows.charging_session import ChargingSessionWorkflow
    from workflows.monthly_settlement import MonthlySettlementLauncher, MonthlySettlementWorkflow

    return [ChargingSessionWorkflow, MonthlySettlementWorkflow, MonthlySettlementLauncher]


def all_activities(session_factory) -> list:
    """Activity callables bound to a database session factory."""
    from activities.session_activities import SessionActivities
    from activities.settlement_activities import SettlementActivities

    return SessionActivities(session_factory).all() + SettlementActivities(session_factory).all()
