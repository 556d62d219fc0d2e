"""Password hashing for logins and per-charging-point OCPP passwords (argon2id).

The cost is a parameter of the process, set once by its entry point
(`energycloud` commands, the test suite) through `configure(...)`; this module
reads no environment or settings."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import Invalid

# argon2id with the library's defaults (RFC 9106 low-memory profile) until an
# entry point configures otherwise. The test suite lowers the cost so that loading
# the demo world a hundred times stays fast; production keeps the defaults.
DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_KIB = 65536

_hasher = PasswordHasher(time_cost=DEFAULT_TIME_COST, memory_cost=DEFAULT_MEMORY_KIB)


def configure(*, time_cost: int = DEFAULT_TIME_COST, memory_kib: int = DEFAULT_MEMORY_KIB) -> None:
    """Set the argon2 cost for new hashes of this process (existing hashes carry
    their own parameters, so verification is unaffected)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hash_password(password: str) -> str:
    if not password:
        raise Invalid("password must not be empty", code="password.empty")
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
