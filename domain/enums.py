"""The vocabulary of the domain, shared by every layer (DOMAIN.md §1, §4, §5, §9)."""

from __future__ import annotations

from enum import StrEnum


class AccessMode(StrEnum):
    OPEN = "open"
    WHITELISTING = "whitelisting"
    ROAMING = "roaming"
    ROAMING_WHITELISTING = "roaming_whitelisting"


class Category(StrEnum):
    """What a finished session settles as; decided at authorization (DOMAIN.md §5)."""

    FREE = "free"
    REIMBURSED = "reimbursed"
    ROAMING = "roaming"
    REJECTED = "rejected"


class CardKind(StrEnum):
    ORGANIZATION = "organization"  # issued under a user of an organization
    PUBLIC = "public"  # an eMSP token from the token registry


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    EXPIRED = "expired"


class ChargingPointState(StrEnum):
    PRE_APPROVED = "pre_approved"  # OCPP id reserved, never connected yet
    PENDING = "pending"  # connected but not claimed by any customer yet
    CONNECTED = "connected"
    OFFLINE = "offline"
    REMOVED = "removed"


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    PLATFORM_FINANCE = "platform_finance"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_SUPPORT = "partner_support"
    CUSTOMER_ADMIN = "customer_admin"
    CUSTOMER_USER = "customer_user"


class Source(StrEnum):
    """Where an inherited setting's effective value comes from (DOMAIN.md §2)."""

    ORGANIZATION = "organization"
    PARENT_ORGANIZATION = "parent_organization"
    LOCATION = "location"
    CHARGING_POINT = "charging_point"
