"""OCPP security profile 1: HTTP Basic auth at the websocket upgrade, username =
the charger's OCPP id, password checked against `ChargingPoint.password_hash`.
TLS (profile 2) is terminated in front of the ingest in production.

A charger password is a machine secret checked on every reconnect: it is stored
as a salted HMAC-SHA256 (`domain.charger_secrets`, microseconds per check).
argon2 hashes stored by earlier versions are still accepted, at most
`max_concurrent` at a time off the event loop, and replaced by the fast form on
the first successful login, so argon2 cannot be used to burn the node's CPU."""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.charger_secrets import (
    hash_charger_secret,
    is_charger_secret_hash,
    verify_charger_secret,
)

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """What to store in `ChargingPoint.password_hash` for a charger password."""
    return hash_charger_secret(password, salt=os.urandom(16))


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


class VerifierBusy(Exception):
    """Too many legacy (argon2) checks are waiting: the charger should retry later."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    # The hash to store instead of the one checked (a legacy argon2 hash that
    # matched is replaced by the fast form), else None.
    upgraded_hash: str | None = None


class PasswordVerifier:
    """Checks a presented charger password against its stored hash. The fast form
    is checked inline; a legacy argon2 hash off the loop, at most `max_concurrent`
    at once and `max_waiting` queued (beyond that `VerifierBusy`)."""

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        *,
        max_concurrent: int = 1,
        max_waiting: int = 32,
    ):
        self._hasher = hasher or _HASHER
        self._slots = asyncio.Semaphore(max_concurrent)
        self._max_waiting = max_waiting
        self._waiting = 0
        self.legacy_checks = 0

    async def check(self, password_hash: str, password: str) -> Verdict:
        if is_charger_secret_hash(password_hash):
            return Verdict(verify_charger_secret(password_hash, password))
        if self._waiting >= self._max_waiting:
            raise VerifierBusy("too many password checks are waiting")
        self._waiting += 1
        try:
            async with self._slots:
                self.legacy_checks += 1
                ok = await asyncio.to_thread(self._verify_sync, password_hash, password)
        finally:
            self._waiting -= 1
        return Verdict(ok, hash_password(password) if ok else None)

    async def verify(self, ocpp_id: str, password_hash: str, password: str) -> bool:
        return (await self.check(password_hash, password)).ok

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
