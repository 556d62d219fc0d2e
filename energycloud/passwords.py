"""Password hashing for logins and per-charging-point OCPP passwords (argon2id)."""

from __future__ import annotations

import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import Invalid

# argon2id with the library's defaults (RFC 9106 low-memory profile). The test
# suite lowers the cost through the environment so that loading the demo world
# a hundred times stays fast; production never sets these.
_hasher = PasswordHasher(
    time_cost=int(os.environ.get("EC_ARGON2_TIME_COST", 3)),
    memory_cost=int(os.environ.get("EC_ARGON2_MEMORY_KIB", 65536)),
)


def hash_password(password: str) -> str:
    if not password:
        raise Invalid("password must not be empty")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_charger_password() -> str:
    """A fresh per-charging-point password (OCPP security profile 1 allows 16–40 chars)."""
    return secrets.token_urlsafe(24)[:32]
