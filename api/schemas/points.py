"""Charging point extras: effective settings with their source, live status and
its history, onboarding by claim, remote actions and their recorded outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Id, In, Name, Out, _examples
from domain.enums import AccessMode, Source

RemoteAction = Literal["request_status", "activate", "deactivate", "reset", "remote_stop",
                       "unlock"]


class EffectiveSetting(BaseModel):
    source: Source
    source_id: int
    source_name: str
    inherited: bool
    description: str


class EffectiveRate(EffectiveSetting):
    rate_id: int
    rate_name: str
    tariff: dict


class EffectiveAccessMode(EffectiveSetting):
    access_mode: AccessMode


class EffectiveSettings(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rate": {"rate_id": 1, "rate_name": "Acme standard", "tariff": {}, "source": "location",
                 "source_id": 1, "source_name": "Depot", "inherited": True,
                 "description": "rate: inherited from location Depot"},
        "access_mode": {"access_mode": "whitelisting", "source": "location", "source_id": 1,
                        "source_name": "Depot", "inherited": True,
                        "description": "access mode: inherited from location Depot"}}]})
    rate: EffectiveRate
    access_mode: EffectiveAccessMode


class ConnectorStatus(BaseModel):
    number: int
    status: str
    status_at: datetime | None


class LiveStatus(BaseModel):
    charging_point_id: int
    ocpp_id: str
    state: str
    online: bool
    last_seen_at: datetime | None
    status: str | None
    status_at: datetime | None
    connectors: list[ConnectorStatus]


class StatusChange(Out):
    id: int
    connector: int
    status: str
    error_code: str | None
    info: str | None
    reported_at: datetime
    received_at: datetime


class ClaimIn(In):
    """Onboarding scenario 2: claim a charger that is powered on and connected now."""

    model_config = _examples({
        "ocpp_id": "ACME-AMS-07", "location_id": 1, "name": "Bay 7",
        "claim_code": "K7Q2-9XPL"})
    ocpp_id: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._:\-]+$")
    location_id: Id
    name: Name | None = None
    subscription_plan_id: Id | None = None
    password: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[\x21-\x7e]+$",
                                 description="The charger's OCPP password (proof of possession).")
    claim_code: str | None = Field(None, min_length=1, max_length=64,
                                   pattern=r"^[A-Za-z0-9\-]+$",
                                   description="The charger's claim code (proof of possession).")


class CommandOut(Out):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 1, "charging_point_id": 1, "connector": None, "action": "reset",
        "ocpp_action": "Reset", "requested_by": "support@voltpartners.example",
        "requested_at": "2026-12-01T10:00:00Z", "status": "accepted",
        "answer": {"status": "Accepted"}, "finished_at": "2026-12-01T10:00:01Z"}]})
    id: int
    charging_point_id: int
    connector: int | None
    action: str
    ocpp_action: str | None
    requested_by: str
    requested_at: datetime
    status: str
    answer: dict | None
    finished_at: datetime | None
