"""Account mail in the brand of the user's partner: the invitation, the
password reset link and the notice that a password changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.account_tokens import TokenMail
from db.models import Customer, Partner, PlatformSettings, User
from domain.documents import Branding
from mail.compose import Brand, account_message
from mail.config import MailConfig
from mail.transport import Transport

__all__ = ["account_brand", "compose_account_mail", "send_account_mail"]

log = logging.getLogger(__name__)


def account_brand(db: Session, user_id: int) -> Branding:
    """The user's partner's branding, or the platform's."""
    user = db.get(User, user_id)
    partner_id = user.partner_id if user else None
    if partner_id is None and user is not None and user.customer_id is not None:
        partner_id = db.scalar(select(Customer.partner_id)
                               .where(Customer.id == user.customer_id))
    partner = db.get(Partner, partner_id) if partner_id else None
    if partner is not None:
        return Branding(name=partner.display_name, primary_color=partner.primary_color,
                        secondary_color=partner.secondary_color, logo_url=partner.logo_url,
                        support_email=partner.support_email,
                        support_phone=partner.support_phone)
    platform = db.scalar(select(PlatformSettings))
    return Branding(name=platform.name if platform else "Energy Cloud",
                    support_email=platform.support_email if platform else None)


def compose_account_mail(item: TokenMail, *, branding: Branding, config: MailConfig,
                         at: datetime, logo_svg: bytes | None = None):
    brand = Brand(branding, logo_svg)
    base = config.public_url.rstrip("/")
    common = dict(brand=brand, from_address=config.from_address, to_name=item.name,
                  to_address=item.email, at=at)
    if item.purpose == "invitation":
        link = f"{base}/set-password?token={quote(item.token)}"
        return account_message(
            **common, subject=f"You are invited to {brand.name}",
            heading=f"Welcome to {brand.name}",
            paragraphs=(f"An account was created for you on the {brand.name} portal, where you "
                        "follow your charging points, sessions and documents.",
                        "Choose your password to start:"),
            link=link, button="Set your password",
            after=(f"The link works once and expires on {item.expires_at:%-d %B %Y at %H:%M} "
                   "UTC.",),
            key=f"account:invitation:{item.user_id}:{at.isoformat()}")
    if item.purpose == "password_reset":
        link = f"{base}/reset-password?token={quote(item.token)}"
        return account_message(
            **common, subject=f"Reset your {brand.name} password",
            heading="Reset your password",
            paragraphs=("Someone, hopefully you, asked to reset the password of your account.",),
            link=link, button="Choose a new password",
            after=("The link works once and expires in one hour. If you did not ask for it, "
                   "ignore this e-mail: your password stays as it is.",),
            key=f"account:reset:{item.user_id}:{at.isoformat()}")
    return account_message(
        **common, subject=f"Your {brand.name} password was changed",
        heading="Your password was changed",
        paragraphs=(f"The password of your account was changed on {at:%-d %B %Y at %H:%M} UTC.",
                    "If that was you, there is nothing to do."),
        after=("If it was not you, reply to this e-mail or contact support at once: someone "
               "else may have access to your mailbox.",),
        key=f"account:changed:{item.user_id}:{at.isoformat()}")


async def send_account_mail(db_factory: Callable[[], Session], item: TokenMail, *,
                            config: MailConfig, transport: Transport, at: datetime,
                            logo_loader: Callable[[str | None], bytes | None] = lambda _: None,
                            ) -> None:
    """Compose and send; a failure is logged (the API has already answered)."""
    with db_factory() as db:
        branding = account_brand(db, item.user_id)
    message = compose_account_mail(item, branding=branding, config=config, at=at,
                                   logo_svg=logo_loader(branding.logo_url))
    try:
        await transport.send(message, key=message["X-Energycloud-Delivery"])
    except Exception:  # noqa: BLE001 - the person can ask again; the operator sees why
        log.exception("account mail (%s) to user %s was not sent", item.purpose, item.user_id)
