"""Read a period export (`settlement/export.py`) back into the pure dataclasses of
`domain/settlement_facts.py`, so `domain.settlement.build_period_documents` can
compute the same period as the polars jobs, from the same files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from domain.settlement_facts import (
    ChargingPointFacts,
    CustomerFacts,
    EmspFacts,
    OrganizationFacts,
    PartnerFacts,
    PeriodFacts,
    PlanFacts,
    PlatformFacts,
    SessionFacts,
)
from domain.settlement_parties import PartyDirectory
from settlement.schemas import scan

__all__ = ["load_facts", "load_parties", "load_platform"]


def _rows(export_dir: Path, table: str) -> list[dict]:
    return scan(export_dir, table).collect().to_dicts()


def load_platform(export_dir: Path) -> PlatformFacts:
    [row] = _rows(export_dir, "platform")
    return PlatformFacts(
        id=row["id"], name=row["name"], legal_name=row["legal_name"], currency=row["currency"],
        vat_rate_percent=Decimal(row["vat_rate_percent"]), time_zone=row["time_zone"],
        vat_id=row["vat_id"], iban=row["iban"], support_email=row["support_email"],
    )


def _partners(export_dir: Path) -> tuple[PartnerFacts, ...]:
    return tuple(
        PartnerFacts(
            id=r["id"], name=r["name"], display_name=r["display_name"],
            roaming_fee_per_kwh=Decimal(r["roaming_fee_per_kwh"]),
            subscription_kickback_percent=Decimal(r["subscription_kickback_percent"]),
            vat_registered=r["vat_registered"], vat_id=r["vat_id"], iban=r["iban"],
            support_email=r["support_email"], support_phone=r["support_phone"],
            logo_url=r["logo_url"], primary_color=r["primary_color"],
            secondary_color=r["secondary_color"],
        )
        for r in _rows(export_dir, "partners")
    )


def _plain(export_dir: Path, table: str, cls) -> tuple:
    return tuple(cls(**r) for r in _rows(export_dir, table))


def load_parties(export_dir: Path) -> PartyDirectory:
    export_dir = Path(export_dir)
    return PartyDirectory.of(
        load_platform(export_dir),
        _partners(export_dir),
        _plain(export_dir, "customers", CustomerFacts),
        _plain(export_dir, "organizations", OrganizationFacts),
        _plain(export_dir, "emsps", EmspFacts),
    )


def load_facts(export_dir: Path) -> PeriodFacts:
    export_dir = Path(export_dir)
    parties = load_parties(export_dir)
    [period] = scan(export_dir, "platform").select("period").collect().to_series().to_list()
    points = tuple(
        ChargingPointFacts(
            id=r["id"], ocpp_id=r["ocpp_id"], customer_id=r["customer_id"],
            organization_id=r["organization_id"], plan_id=r["plan_id"],
            first_connected_on=r["first_connected_on"], billing_ended_on=r["billing_ended_on"],
        )
        for r in _rows(export_dir, "charging_points")
    )
    return PeriodFacts(
        period=period,
        platform=parties.platform,
        partners=tuple(parties.partners.values()),
        customers=tuple(parties.customers.values()),
        organizations=tuple(parties.organizations.values()),
        emsps=tuple(parties.emsps.values()),
        plans=_plain(export_dir, "plans", PlanFacts),
        charging_points=points,
        sessions=_plain(export_dir, "sessions", SessionFacts),
    )
