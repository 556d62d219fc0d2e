"""A real SMTP server in the test process (aiosmtpd, its own thread), that
keeps what it receives, can refuse chosen recipients and can be slow."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from pypdf import PdfReader

from mail.config import MailConfig
from tests.helpers import free_port


@dataclass
class SmtpSink:
    refuse: set[str] = field(default_factory=set)
    rcpt_delay_s: float = 0.0
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay_s:
            await asyncio.sleep(self.rcpt_delay_s)
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
            n = len(self.messages)
        return f"250 2.0.0 OK queued as {n}"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]

    def config(self, **overrides) -> MailConfig:
        return MailConfig(transport="smtp", smtp_host="127.0.0.1", smtp_port=self.port,
                          smtp_security="none", smtp_timeout_s=10, **overrides)


@contextmanager
def smtp_sink(**kwargs):
    sink = SmtpSink(**kwargs)
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def pdf_attachment(msg: EmailMessage) -> tuple[str, str]:
    """(file name, text) of the message's one PDF attachment."""
    [part] = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    reader = PdfReader(io.BytesIO(part.get_content()))
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    return part.get_filename(), text


def html_body(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def text_body(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()
