"""The plain facts one settlement period is computed from (DOMAIN.md §5–8):
the platform's settings, the tree's parties, charging points with their billable
dates, plans, and the period's finished sessions with their settled cents.

These are the pure twin of the parquet files `settlement/export.py` writes (one
dataclass per file, one field per column) and `settlement/facts.py` reads back,
so the pure rules (`domain/settlement.py`) and the polars jobs
(`settlement/jobs.py`) compute from the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "ChargingPointFacts",
    "CustomerFacts",
    "EmspFacts",
    "OrganizationFacts",
    "PartnerFacts",
    "PeriodFacts",
    "PlanFacts",
    "PlatformFacts",
    "SessionFacts",
]


@dataclass(frozen=True)
class PlatformFacts:
    id: int
    name: str
    legal_name: str
    currency: str
    vat_rate_percent: Decimal  # data, not a constant (DOMAIN.md §3)
    time_zone: str
    vat_id: str | None = None
    iban: str | None = None
    support_email: str | None = None


@dataclass(frozen=True)
class PartnerFacts:
    id: int
    name: str
    display_name: str
    roaming_fee_per_kwh: Decimal
    subscription_kickback_percent: Decimal
    vat_registered: bool
    vat_id: str | None = None
    iban: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    logo_url: str | None = None
    primary_color: str = "#0b6e4f"
    secondary_color: str = "#f2f2f2"


@dataclass(frozen=True)
class CustomerFacts:
    id: int
    name: str
    partner_id: int | None


@dataclass(frozen=True)
class OrganizationFacts:
    id: int
    customer_id: int
    parent_id: int | None
    name: str
    is_private_person: bool = False
    vat_registered: bool = False
    vat_id: str | None = None
    iban: str | None = None
    billing_email: str | None = None
    address: str | None = None
    country: str = "NL"
    # The signed mandate its invoices are collected under, when it pays by SEPA
    # direct debit (payment method `sepa_mandate`, or none set and a mandate).
    sepa_mandate_id: str | None = None

    @property
    def main_organization_id(self) -> int:
        """Who pays this organization's subscriptions (DOMAIN.md §6)."""
        return self.parent_id if self.parent_id is not None else self.id


@dataclass(frozen=True)
class EmspFacts:
    id: int
    name: str
    vat_id: str | None = None
    iban: str | None = None
    billing_email: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class PlanFacts:
    id: int
    name: str
    monthly_fee_cents: int


@dataclass(frozen=True)
class ChargingPointFacts:
    id: int
    ocpp_id: str
    customer_id: int
    organization_id: int  # the organization owning its location
    plan_id: int | None
    first_connected_on: date | None  # platform-zone date; None: never connected
    billing_ended_on: date | None  # removed / deactivated for billing (exclusive)


@dataclass(frozen=True)
class SessionFacts:
    """A finished session (the charge detail record) with its settled cents."""

    workflow_id: str
    ocpp_id: str
    charging_point_id: int | None
    customer_id: int
    organization_id: int  # the charging point's organization (owner / employee)
    main_organization_id: int  # its main organization (pays reimbursements)
    partner_id: int | None  # frozen at the session's start
    emsp_id: int | None
    id_tag: str
    category: str  # domain.enums.Category value
    started_at: datetime
    stopped_at: datetime
    energy_wh: int
    emsp_billed_cents: int = 0
    main_org_invoiced_cents: int = 0
    owner_compensation_cents: int = 0
    employee_payout_cents: int = 0
    partner_fee_cents: int = 0
    platform_margin_cents: int = 0


@dataclass(frozen=True)
class PeriodFacts:
    period: str  # "2026-10"
    platform: PlatformFacts
    partners: tuple[PartnerFacts, ...]
    customers: tuple[CustomerFacts, ...]
    organizations: tuple[OrganizationFacts, ...]
    emsps: tuple[EmspFacts, ...]
    plans: tuple[PlanFacts, ...]
    charging_points: tuple[ChargingPointFacts, ...]
    # Sessions that ended in the period, plus late ones (ended earlier, never settled).
    sessions: tuple[SessionFacts, ...]
