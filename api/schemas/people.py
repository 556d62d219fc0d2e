"""Users, charging cards and whitelist entries: read (`...Out`), created
(`...In`) and changed (`...Patch`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Email, Id, In, Name, Out, Short, _examples
from domain.enums import CardKind, CardStatus, Role


class UserIdentity(Out):
    """Who a login is and where in the tree it sits (what /auth/me answers)."""

    id: int
    email: str
    name: str
    role: Role
    partner_id: int | None
    customer_id: int | None
    organization_id: int | None


class UserOut(UserIdentity):
    active: bool
    created_at: datetime


class UserPatch(In):
    model_config = _examples({"name": "Jan de Vries"})
    name: Name | None = None


class UserIn(In):
    model_config = _examples({"email": "piet@acme.example", "name": "Piet", "role":
                              "customer_user", "organization_id": 3,
                              "password": "initial-password-1"})
    email: Email
    name: Name
    role: Role
    password: str = Field(min_length=10, max_length=200)
    partner_id: Id | None = None
    customer_id: Id | None = None
    organization_id: Id | None = None


class CardOut(Out):
    id: int
    uid: str
    kind: CardKind
    status: CardStatus
    label: str
    customer_id: int | None
    organization_id: int | None
    user_id: int | None
    emsp_id: int | None
    contract_id: str | None
    reimbursable_for_organization_id: int | None
    valid_until: datetime | None
    created_at: datetime


class CardPatch(In):
    model_config = _examples({"label": "Jan's card", "status": "active"})
    label: Short | None = None
    status: CardStatus | None = None
    valid_until: datetime | None = None


class CardIn(In):
    model_config = _examples({"uid": "04A1B2C3D4", "organization_id": 3, "user_id": 5,
                              "label": "Jan's card"})
    uid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-]+$")
    organization_id: Id
    user_id: Id | None = None
    label: Short = ""
    reimbursable_for_organization_id: Id | None = None
    valid_until: datetime | None = None


class WhitelistOut(Out):
    id: int
    card_id: int
    location_id: int | None
    charging_point_id: int | None
    created_at: datetime


class WhitelistIn(In):
    model_config = _examples({"card_id": 4, "location_id": 1})
    card_id: Id
    location_id: Id | None = None
    charging_point_id: Id | None = None
