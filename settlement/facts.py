"""Read a period export (`settlement/export.py`) back into the pure dataclasses of
`domain/settlement_facts.py`, so `domain.settlement.build_period_documents` can
compute the same period as the polars jobs, from the same files; and write plain
facts in the export's layout (`write_facts`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

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
from settlement.schemas import TABLES, scan, table_path

__all__ = ["load_facts", "load_parties", "load_platform", "write_facts"]


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


def _bp(rate: Decimal) -> int:
    return int(rate * 100)


def _at(day, time_zone: str):
    """A platform-zone date as the UTC instant of its midnight."""
    if day is None:
        return None
    return datetime.combine(day, time(0), ZoneInfo(time_zone)).astimezone(UTC)


def write_facts(facts: PeriodFacts, export_dir: Path) -> Path:
    """Write plain facts as a period export (the layout `export_period` writes):
    for tests and benchmarks that start from data rather than a database."""
    export_dir = Path(export_dir)
    for folder in ("sessions", "ledger"):
        (export_dir / folder).mkdir(parents=True, exist_ok=True)
    p, tz = facts.platform, facts.platform.time_zone
    frames = {
        "platform": [{**asdict(p), "vat_rate_percent": str(p.vat_rate_percent),
                      "vat_rate_bp": _bp(p.vat_rate_percent), "period": facts.period,
                      "exported_at": datetime(2000, 1, 1, tzinfo=UTC)}],
        "partners": [{**asdict(r), "roaming_fee_per_kwh": str(r.roaming_fee_per_kwh),
                      "subscription_kickback_percent": str(r.subscription_kickback_percent),
                      "kickback_bp": _bp(r.subscription_kickback_percent)}
                     for r in facts.partners],
        "customers": [asdict(r) for r in facts.customers],
        "organizations": [asdict(r) for r in facts.organizations],
        "emsps": [asdict(r) for r in facts.emsps],
        "plans": [asdict(r) for r in facts.plans],
        "charging_points": [{**asdict(r), "first_connected_at": _at(r.first_connected_on, tz),
                             "billing_ended_at": _at(r.billing_ended_on, tz)}
                            for r in facts.charging_points],
        "sessions": [asdict(r) for r in facts.sessions],
        "ledger": [],
    }
    for table, rows in frames.items():
        schema = TABLES[table]
        frame = pl.DataFrame([{k: row[k] for k in schema} for row in rows], schema=schema)
        frame.write_parquet(table_path(export_dir, table).with_name("part-00000.parquet")
                            if table in ("sessions", "ledger") else table_path(export_dir, table))
    return export_dir
