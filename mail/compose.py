"""Composing branded messages: a document with its PDF attached, and the three
account mails (invitation, password reset, password changed).

Every message is `multipart/alternative` (plain text first, then HTML) inside
`multipart/related` when the brand has a logo (an SVG sent as a CID image), and
`multipart/mixed` with the PDF when there is one. Sender display name is the
brand's name on the platform's own sending address (the partner's domain does
not vouch for our servers); Reply-To is the brand's support contact.

The Message-ID is derived from the delivery's idempotency key, so a message
composed again for the same key is the same message.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.documents import Branding

__all__ = ["Brand", "DocumentMail", "account_message", "document_message", "message_id_for",
           "render_html"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LOGO_CID = "brand-logo"


@dataclass(frozen=True)
class Brand:
    """The recipient's branding as a mail prints it, with the logo's SVG (sent as a
    CID image). Colours go into inline CSS, where autoescaping does not protect:
    hex only, the default colour otherwise."""

    branding: Branding
    logo_svg: bytes | None = None

    @property
    def name(self) -> str:
        return self.branding.name

    @property
    def support_email(self) -> str | None:
        return self.branding.support_email

    @property
    def primary(self) -> str:
        return _hex_or(self.branding.primary_color, _DEFAULT.primary_color)

    @property
    def secondary(self) -> str:
        return _hex_or(self.branding.secondary_color, _DEFAULT.secondary_color)

    def context(self, *, inline_logo: bool = False) -> dict:
        """For templates; `inline_logo` puts the logo in a data: URI (previews)."""
        src = None
        if self.logo_svg:
            src = ("data:image/svg+xml;base64," + base64.b64encode(self.logo_svg).decode()
                   if inline_logo else f"cid:{LOGO_CID}")
        return {"name": self.name, "primary": self.primary, "secondary": self.secondary,
                "support_email": self.support_email,
                "support_phone": self.branding.support_phone, "logo_src": src}


_DEFAULT = Branding(name="")


def _hex_or(colour: str, default: str) -> str:
    return colour if _HEX.match(colour) else default


@dataclass(frozen=True)
class DocumentMail:
    """What the document's mail says, prepared by the caller from the issued document."""

    recipient: str
    subject: str
    heading: str
    intro: str
    facts: tuple[tuple[str, str], ...]  # label, value; the last one is printed bold
    closing: str
    attachment_name: str


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), trim_blocks=False)


def render_html(template: str, brand: Brand, *, inline_logo: bool = False, **values) -> str:
    return _env().get_template(template).render(brand=brand.context(inline_logo=inline_logo),
                                                **values)


def _render_text(template: str, brand: Brand, **values) -> str:
    return _env().get_template(template).render(brand=brand.context(), **values)


def message_id_for(key: str, from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "energycloud.invalid"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<{re.sub(r'[^A-Za-z0-9.-]', '.', key)}.{digest}@{domain}>"


def _envelope(*, brand: Brand, from_address: str, to_name: str, to_address: str, subject: str,
              key: str, at: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((brand.name, from_address))
    msg["To"] = Address(display_name=to_name, addr_spec=to_address)
    if brand.support_email:
        msg["Reply-To"] = formataddr((brand.name, brand.support_email))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id_for(key, from_address)
    msg["X-Energycloud-Delivery"] = key
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def _bodies(msg: EmailMessage, brand: Brand, template: str, values: dict) -> None:
    msg.set_content(_render_text(f"{template}.txt", brand, **values))
    msg.add_alternative(render_html(f"{template}.html", brand, **values), subtype="html")
    if brand.logo_svg:
        html = msg.get_payload()[1]
        html.add_related(brand.logo_svg, maintype="image", subtype="svg+xml",
                         cid=f"<{LOGO_CID}>", filename="logo.svg", disposition="inline")


def document_message(*, brand: Brand, from_address: str, to_address: str, mail: DocumentMail,
                     pdf: bytes, key: str, at: datetime) -> EmailMessage:
    msg = _envelope(brand=brand, from_address=from_address, to_name=mail.recipient,
                    to_address=to_address, subject=mail.subject, key=key, at=at)
    _bodies(msg, brand, "document", {
        "subject": mail.subject, "heading": mail.heading, "recipient": mail.recipient,
        "intro": mail.intro, "facts": mail.facts, "closing": mail.closing,
        "attachment": mail.attachment_name,
    })
    msg.add_attachment(pdf, maintype="application", subtype="pdf",
                       filename=mail.attachment_name)
    return msg


def account_message(*, brand: Brand, from_address: str, to_name: str, to_address: str,
                    subject: str, heading: str, paragraphs: tuple[str, ...],
                    link: str | None = None, button: str = "", after: tuple[str, ...] = (),
                    key: str, at: datetime) -> EmailMessage:
    msg = _envelope(brand=brand, from_address=from_address, to_name=to_name,
                    to_address=to_address, subject=subject, key=key, at=at)
    _bodies(msg, brand, "account", {
        "subject": subject, "heading": heading, "name": to_name, "paragraphs": paragraphs,
        "link": link, "button": button, "after": after,
    })
    return msg
