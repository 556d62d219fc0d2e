"""What a charging session is decided and settled on, frozen at its start, and
the session's identity.

A plain frozen dataclass with primitive fields: the database layer builds it
(`db.facts.session_snapshot`), the authorize activity returns it, and the
workflow records it in history, so its shape is part of the workflow contract."""

# No `from __future__ import annotations`: these dataclasses travel through
# Temporal's converter, which resolves their field types with get_type_hints()
# on every payload, compiling each string annotation anew (issue 14: three
# times the decoding cost; tests/workflows/test_session_messages.py).

from dataclasses import dataclass


def session_workflow_id(ocpp_id: str, transaction_id: str, installation: str = "") -> str:
    """Deterministic per installation, charger and transaction, so duplicates reach
    one workflow and two databases on one Temporal cluster never share one
    (`db.installation`). Without an installation: the id of earlier versions."""
    if installation:
        return f"session:{installation}:{ocpp_id}:{transaction_id}"
    return f"session:{ocpp_id}:{transaction_id}"


@dataclass(frozen=True)
class SessionSnapshot:
    """Everything frozen at the start of a session (DOMAIN.md §2, §5): the
    authorization answer, the settlement category, the effective rate and access
    mode with their sources, and who gets paid. Recorded in workflow history."""

    workflow_id: str
    accepted: bool
    status: str
    category: str
    reason: str
    ocpp_id: str
    id_tag: str
    charging_point_id: int | None = None
    customer_id: int | None = None
    organization_id: int | None = None  # the charging point's (owner) organization
    main_organization_id: int | None = None
    partner_id: int | None = None
    card_id: int | None = None
    emsp_id: int | None = None
    access_mode: str | None = None
    access_mode_source: str | None = None
    rate_id: int | None = None
    rate_source: str | None = None
    tariff: dict | None = None  # OCPI 2.2.1 Tariff JSON
    compensation_per_kwh: str = "0"
    roaming_fee_per_kwh: str = "0"
    vat_rate_percent: str = "21"
    currency: str = "EUR"
    time_zone: str = "Europe/Amsterdam"
