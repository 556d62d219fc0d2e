"""Handing a composed message to the world: an SMTP server (aiosmtplib, one
kept connection per process) or the embedded outbox (a folder of `.eml` files).

Every send carries its delivery's idempotency key. Outcomes are one of:

* returned: the server accepted the message (250 after DATA), or the outbox
  file was written (or already there: the outbox is idempotent by key);
* `TemporaryFailure`: nothing was handed over (4xx reply, connection refused or
  lost before DATA): retrying is safe;
* `PermanentFailure`: the server refused it for good (5xx): retrying is useless;
* `Unconfirmed`: the connection broke *during* DATA, after the message may have
  been received. Sending it again could deliver it twice, so the caller records
  it for a person to decide (a resend is an explicit action).

`before_data` is awaited just before DATA starts: the caller records there that
the message is being handed over, so a crash from then on is recognised as
unconfirmed instead of being silently sent again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Protocol

import aiosmtplib

from mail.config import MailConfig

__all__ = [
    "MailFailure", "OutboxTransport", "PermanentFailure", "SmtpTransport", "TemporaryFailure",
    "Transport", "Unconfirmed", "build_transport", "safe_key",
]

log = logging.getLogger(__name__)

BeforeData = Callable[[], Awaitable[None]]


class MailFailure(Exception):
    """The message was not (or not surely) accepted; `str(exc)` says why."""


class TemporaryFailure(MailFailure):
    pass


class PermanentFailure(MailFailure):
    pass


class Unconfirmed(MailFailure):
    pass


class Transport(Protocol):
    async def send(self, message: EmailMessage, *, key: str,
                   before_data: BeforeData | None = None) -> str: ...

    def already_sent(self, key: str) -> bool | None:
        """True/False when the transport knows (the outbox), None when it cannot."""


def safe_key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)


def _raw(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP_POLICY)


class OutboxTransport:
    """Writes each message as `<dir>/<UTC time>--<key>.eml`, once per key."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path_of(self, key: str) -> Path | None:
        found = sorted(self.directory.glob(f"*--{safe_key(key)}.eml"))
        return found[0] if found else None

    def already_sent(self, key: str) -> bool:
        return self.path_of(key) is not None

    async def send(self, message: EmailMessage, *, key: str,
                   before_data: BeforeData | None = None) -> str:
        existing = self.path_of(key)
        if existing is not None:
            return f"already in the outbox: {existing}"
        if before_data is not None:
            await before_data()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}--{safe_key(key)}.eml"
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_raw(message))
                out.flush()
                os.fsync(out.fileno())
            os.link(tmp, path)  # appears whole, or not at all
        finally:
            os.unlink(tmp)
        log.info("outbox: %s to %s", path.name, message["To"])
        return f"written to the outbox: {path}"


class SmtpTransport:
    """One kept SMTP connection per process (re-opened when the server dropped it),
    used by one message at a time."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config
        self._smtp: aiosmtplib.SMTP | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def already_sent(self, key: str) -> None:
        return None

    def _client(self) -> aiosmtplib.SMTP:
        c = self.config
        return aiosmtplib.SMTP(
            hostname=c.smtp_host, port=c.smtp_port, timeout=c.smtp_timeout_s,
            use_tls=c.smtp_security == "tls",
            start_tls=True if c.smtp_security == "starttls" else False,
            username=c.smtp_user or None, password=c.smtp_password or None,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        smtp = self._client()
        try:
            await smtp.connect()
        except aiosmtplib.SMTPResponseException as exc:
            raise _classified(exc, "connecting") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(
                f"cannot reach the mail server {self.config.smtp_host}:{self.config.smtp_port}: "
                f"{exc}") from exc
        self._smtp = smtp
        return smtp

    async def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass

    def _guard(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a lock and a connection belong to one event loop
            self._loop, self._lock, self._smtp = loop, asyncio.Lock(), None
        assert self._lock is not None
        return self._lock

    async def send(self, message: EmailMessage, *, key: str,
                   before_data: BeforeData | None = None) -> str:
        sender = self.config.from_address
        recipients = [a.addr_spec for a in message["To"].addresses]
        async with self._guard():
            for attempt in (1, 2):
                smtp = await self._connected()
                try:
                    await smtp.mail(sender)
                    for rcpt in recipients:
                        await smtp.rcpt(rcpt)
                    break
                except aiosmtplib.SMTPServerDisconnected as exc:
                    await self._drop()  # an idle kept connection the server closed
                    if attempt == 2:
                        raise TemporaryFailure(f"the mail server disconnected: {exc}") from exc
                except aiosmtplib.SMTPResponseException as exc:
                    await self._reset(smtp)
                    raise _classified(exc, f"refused {', '.join(recipients)}") from exc
                except (aiosmtplib.SMTPException, OSError) as exc:
                    await self._drop()
                    raise TemporaryFailure(f"mail server error before DATA: {exc}") from exc
            if before_data is not None:
                await before_data()
            try:
                response = await smtp.data(_raw(message))
            except aiosmtplib.SMTPResponseException as exc:
                await self._reset(smtp)
                raise _classified(exc, "refused the message") from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                await self._drop()
                raise Unconfirmed(
                    f"the connection broke while the server was receiving the message ({exc}); "
                    "it may or may not have arrived") from exc
        log.info("smtp: %s to %s: %s %s", key, ", ".join(recipients), response.code,
                 response.message)
        return f"{response.code} {response.message}"

    async def _reset(self, smtp: aiosmtplib.SMTP) -> None:
        try:
            await smtp.rset()
        except Exception:  # noqa: BLE001 - a broken connection is re-opened next time
            await self._drop()

    async def close(self) -> None:
        if self._smtp is not None:
            try:
                await self._smtp.quit()
            except Exception:  # noqa: BLE001
                pass
            self._smtp = None


def _classified(exc: aiosmtplib.SMTPResponseException, what: str) -> MailFailure:
    text = f"the mail server {what}: {exc.code} {exc.message}"
    return PermanentFailure(text) if 500 <= exc.code < 600 else TemporaryFailure(text)


def build_transport(config: MailConfig) -> Transport:
    if config.transport == "smtp":
        return SmtpTransport(config)
    return OutboxTransport(config.outbox_dir)
