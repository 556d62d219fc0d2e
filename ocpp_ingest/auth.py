"""OCPP security profile 1: HTTP Basic auth at the websocket upgrade, username =
the charger's OCPP id, password checked against `ChargingPoint.password_hash`
(argon2). TLS (profile 2) is terminated in front of the ingest in production."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """The argon2 hash to store in `ChargingPoint.password_hash` (the platform's
    own hasher, `db.passwords`, unless one is given)."""
    if hasher is not None:
        return hasher.hash(password)
    from db.passwords import hash_password as platform_hash

    return platform_hash(password)


@dataclass(frozen=True)
class BasicCredentials:
    username: str
    password: str


def parse_basic_auth(header: str | None) -> BasicCredentials | None:
    """`Authorization: Basic base64(user:password)`, or None when absent/garbled.

    OCPP allows any bytes in the password; decode latin-1 as a fallback so a
    binary AuthorizationKey never crashes the handshake."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, sep, password = text.partition(":")
    if not sep:
        return None
    return BasicCredentials(username, password)


def basic_auth_header(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class PasswordVerifier:
    """argon2 verification off the event loop, with a small cache: chargers
    reconnect often and argon2 costs tens of milliseconds by design. The cache
    key includes the stored hash, so a changed password invalidates it."""

    def __init__(self, hasher: PasswordHasher | None = None, max_entries: int = 100_000):
        self._hasher = hasher or _HASHER
        self._verified: dict[str, tuple[str, bytes]] = {}
        self._max = max_entries

    @staticmethod
    def _digest(password_hash: str, password: str) -> bytes:
        return hashlib.sha256(f"{password_hash}\0{password}".encode()).digest()

    async def verify(self, ocpp_id: str, password_hash: str, password: str) -> bool:
        digest = self._digest(password_hash, password)
        cached = self._verified.get(ocpp_id)
        if cached and cached[0] == password_hash and hmac.compare_digest(cached[1], digest):
            return True
        ok = await asyncio.to_thread(self._verify_sync, password_hash, password)
        if ok:
            if len(self._verified) >= self._max:
                self._verified.clear()
            self._verified[ocpp_id] = (password_hash, digest)
        return ok

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
