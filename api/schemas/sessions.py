"""Transactions (charging sessions) as a person follows them: energy, duration,
card, category, price and who pays whom; a live one with its running estimate."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Payment(BaseModel):
    payer: str
    payee: str
    amount_cents: int
    what: str


class Live(BaseModel):
    energy_wh: int = Field(description="Energy so far.")
    cost_estimate_cents: int = Field(description="Running estimate, excl. VAT.")
    source: str = Field(description="workflow (the session's live state) or meter_values.")
    measured_at: datetime | None = None


class TransactionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 42, "ocpp_id": "ACME-AMS-01", "transaction_id": "1001", "charging_point_id": 1,
        "connector": 1, "customer_id": 1, "organization_id": 2, "partner_id": 1,
        "id_tag": "04A1B2C3D4", "card_id": 3, "emsp_id": None, "category": "reimbursed",
        "state": "finished", "started_at": "2026-11-03T07:00:00Z",
        "stopped_at": "2026-11-03T09:00:00Z", "duration_s": 7200, "energy_wh": 22000,
        "currency": "EUR", "consumer_price_cents": 770, "payments": [
            {"payer": "main organization 2", "payee": "platform", "amount_cents": 770,
             "what": "reimbursed charging, invoiced to the employer"},
            {"payer": "platform", "payee": "suborganization 5", "amount_cents": 770,
             "what": "payout to the employee"}],
        "live": None, "needs_review": False}]})
    id: int
    ocpp_id: str
    transaction_id: str
    charging_point_id: int | None
    connector: int
    customer_id: int | None
    organization_id: int | None
    partner_id: int | None
    id_tag: str
    card_id: int | None
    emsp_id: int | None
    category: str
    state: str
    started_at: datetime
    stopped_at: datetime | None
    duration_s: int
    energy_wh: int
    currency: str
    consumer_price_cents: int
    emsp_billed_cents: int
    main_org_invoiced_cents: int
    owner_compensation_cents: int
    employee_payout_cents: int
    partner_fee_cents: int
    platform_margin_cents: int
    payments: list[Payment]
    live: Live | None = None
    needs_review: bool
