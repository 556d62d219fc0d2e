"""Inputs and outputs of `OcppCommandWorkflow` (defined with its activity in
activities/ocpp_command_messages.py, since activities may not import workflows);
re-exported so `from workflows.ocpp_command_types import X` works."""

from activities.ocpp_command_messages import (
    ACCEPTED,
    ACTIONS,
    CHARGING_POINT_ACTIONS,
    CONNECTOR_ACTIONS,
    FAILED,
    OFFLINE,
    PENDING,
    REJECTED,
    TIMED_OUT,
    OcppCommand,
    OcppCommandResult,
)

__all__ = [
    "ACCEPTED",
    "ACTIONS",
    "CHARGING_POINT_ACTIONS",
    "CONNECTOR_ACTIONS",
    "FAILED",
    "OFFLINE",
    "PENDING",
    "REJECTED",
    "TIMED_OUT",
    "OcppCommand",
    "OcppCommandResult",
]
