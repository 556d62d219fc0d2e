"""Charger passwords (OCPP security profile 1/2 `AuthorizationKey`) are machine
secrets: generated, high-entropy, presented on every reconnect. They are stored
as a salted HMAC-SHA256 (`hmac-sha256$<salt hex>$<digest hex>`), whose check costs
microseconds, so a whole fleet reconnecting after a restart is not a CPU storm.
People's passwords keep argon2 (`db.passwords`), and argon2 hashes
stored for chargers by earlier versions are still accepted and replaced by this
form on the charger's first successful login (`ocpp_ingest.auth`).

Pure functions: the caller supplies the salt (16 random bytes)."""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "hmac-sha256"


def hash_charger_secret(secret: str, *, salt: bytes) -> str:
    if not secret:
        raise ValueError("a charger password must not be empty")
    if len(salt) < 16:
        raise ValueError("the salt must be at least 16 bytes")
    digest = hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{SCHEME}${salt.hex()}${digest}"


def is_charger_secret_hash(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(SCHEME + "$")


def verify_charger_secret(stored: str, secret: str) -> bool:
    """True when `secret` matches `stored` (a hash made by `hash_charger_secret`)."""
    try:
        _scheme, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    digest = hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, digest_hex)
