"""The explicit schemas of a period export (one parquet file or folder per
table) and the file names. Money is `Int64` cents, energy `Int64` Wh, instants
`Datetime("us", "UTC")`, platform-zone dates `Date`, rates exact `String`s
(Decimal text) next to `Int64` basis points for the vectorized jobs."""

from __future__ import annotations

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

PLATFORM = {
    "id": pl.Int64, "name": pl.String, "legal_name": pl.String, "currency": pl.String,
    "vat_rate_percent": pl.String, "vat_rate_bp": pl.Int64, "time_zone": pl.String,
    "vat_id": pl.String, "iban": pl.String, "support_email": pl.String,
    "period": pl.String, "exported_at": UTC_TS,
}
PARTNERS = {
    "id": pl.Int64, "name": pl.String, "display_name": pl.String,
    "roaming_fee_per_kwh": pl.String, "subscription_kickback_percent": pl.String,
    "kickback_bp": pl.Int64, "vat_registered": pl.Boolean, "vat_id": pl.String,
    "iban": pl.String, "support_email": pl.String, "support_phone": pl.String,
    "logo_url": pl.String, "primary_color": pl.String, "secondary_color": pl.String,
}
CUSTOMERS = {"id": pl.Int64, "name": pl.String, "partner_id": pl.Int64}
ORGANIZATIONS = {
    "id": pl.Int64, "customer_id": pl.Int64, "parent_id": pl.Int64, "name": pl.String,
    "is_private_person": pl.Boolean, "vat_registered": pl.Boolean, "vat_id": pl.String,
    "iban": pl.String, "billing_email": pl.String, "address": pl.String, "country": pl.String,
    "sepa_mandate_id": pl.String,  # only when its invoices are collected by direct debit
}
EMSPS = {
    "id": pl.Int64, "name": pl.String, "vat_id": pl.String, "iban": pl.String,
    "billing_email": pl.String, "address": pl.String,
}
PLANS = {"id": pl.Int64, "name": pl.String, "monthly_fee_cents": pl.Int64}
CHARGING_POINTS = {
    "id": pl.Int64, "ocpp_id": pl.String, "customer_id": pl.Int64,
    "organization_id": pl.Int64, "plan_id": pl.Int64,
    "first_connected_at": UTC_TS, "billing_ended_at": UTC_TS,
    "first_connected_on": pl.Date, "billing_ended_on": pl.Date,
}
SESSIONS = {
    "workflow_id": pl.String, "ocpp_id": pl.String, "charging_point_id": pl.Int64,
    "customer_id": pl.Int64, "organization_id": pl.Int64, "main_organization_id": pl.Int64,
    "partner_id": pl.Int64, "emsp_id": pl.Int64, "id_tag": pl.String, "category": pl.String,
    "started_at": UTC_TS, "stopped_at": UTC_TS, "energy_wh": pl.Int64,
    "emsp_billed_cents": pl.Int64, "main_org_invoiced_cents": pl.Int64,
    "owner_compensation_cents": pl.Int64, "employee_payout_cents": pl.Int64,
    "partner_fee_cents": pl.Int64, "platform_margin_cents": pl.Int64,
}
LEDGER = {
    "entry_id": pl.Int64, "idempotency_key": pl.String, "kind": pl.String,
    "reference": pl.String, "occurred_at": UTC_TS, "account": pl.String,
    "amount_cents": pl.Int64,
}

TABLES: dict[str, dict[str, pl.DataType]] = {
    "platform": PLATFORM,
    "partners": PARTNERS,
    "customers": CUSTOMERS,
    "organizations": ORGANIZATIONS,
    "emsps": EMSPS,
    "plans": PLANS,
    "charging_points": CHARGING_POINTS,
    "sessions": SESSIONS,
    "ledger": LEDGER,
}


def table_path(export_dir, table: str):
    """Where a table lives in an export: `sessions/*.parquet` (written in parts,
    streamed) or `<table>.parquet`."""
    if table in ("sessions", "ledger"):
        return export_dir / table / "*.parquet"
    return export_dir / f"{table}.parquet"


def scan(export_dir, table: str) -> pl.LazyFrame:
    return pl.scan_parquet(table_path(export_dir, table), schema=TABLES[table])
