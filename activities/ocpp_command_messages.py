"""Inputs and outputs of a remote command and its `send_ocpp_command` activity
(frozen dataclasses with primitive fields, so they pass through Temporal's
default converter). They live here, below `workflows/`, because activities must
not import workflows; `workflows.ocpp_command_types` re-exports them."""

from __future__ import annotations

from dataclasses import dataclass

# Platform vocabulary of DOMAIN.md §9's remote actions.
CHARGING_POINT_ACTIONS = ("request_status", "activate", "deactivate", "reset")
CONNECTOR_ACTIONS = ("request_status", "activate", "deactivate", "remote_stop", "unlock")
ACTIONS = ("request_status", "activate", "deactivate", "reset", "remote_stop", "unlock")

# Outcomes recorded on `remote_commands.status`.
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
TIMED_OUT, OFFLINE, FAILED = "timed_out", "offline", "failed"


@dataclass(frozen=True)
class OcppCommand:
    ocpp_id: str
    action: str
    connector: int | None = None  # None: the charging point as a whole
    transaction_id: str | None = None  # remote_stop: the connector's running transaction
    timeout_s: float = 10.0


@dataclass(frozen=True)
class OcppCommandResult:
    status: str  # accepted | rejected | timed_out | offline | failed
    ocpp_action: str = ""
    answer: dict | None = None  # the charger's CALLRESULT payload, or its CALLERROR
    detail: str = ""
