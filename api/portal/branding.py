"""White-label branding (DOMAIN.md §8): a partner's customers see the partner's
logo, colours, name and support contact; everyone else sees the platform's.

The brand is chosen by the request's host name first (a partner's `domain`, so
the login page of laden.voltpartners.example is already green), else by the
logged-in user's partner. Branding is public on purpose: the login page shows it
before anyone is known, so this reads the partner by its domain without a
principal; it reads nothing but the brand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Customer, Partner, PlatformSettings
from domain.visibility import Principal

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PLATFORM_LOGO = "energycloud"
PLATFORM_PRIMARY = "#334155"
PLATFORM_SOFT = "#f1f5f9"


@dataclass(frozen=True)
class Brand:
    name: str
    primary_color: str
    secondary_color: str
    logo: str | None  # a file name under the logos route, e.g. "voltpartners"
    support_email: str | None
    support_phone: str | None
    partner_id: int | None = None

    @property
    def logo_url(self) -> str | None:
        return f"/assets/logos/{self.logo}.svg" if self.logo else None

    @property
    def initials(self) -> str:
        words = [w for w in re.split(r"\W+", self.name) if w]
        return "".join(w[0] for w in words[:2]).upper() or "EC"


def logos_dir() -> Path | None:
    """The SVG logos the invoices package ships (the same files the PDFs print)."""
    try:
        folder = Path(str(resources.files("invoices"))) / "static" / "logos"
    except (ModuleNotFoundError, TypeError):
        return None
    return folder if folder.is_dir() else None


def logo_file(name: str) -> Path | None:
    folder = logos_dir()
    if folder is None or not LOGO_NAME.match(name):
        return None
    path = folder / f"{name}.svg"
    return path if path.is_file() else None


def _logo_name(logo_url: str | None, fallback: str) -> str | None:
    """`static:logos/<name>.svg` (the invoices convention) names a shipped logo;
    without one, a logo file named after the partner is used when it exists. Any
    other URL is never loaded: the portal serves logos itself, never from afar."""
    if logo_url and logo_url.startswith("static:logos/") and logo_url.endswith(".svg"):
        name = logo_url.removeprefix("static:logos/").removesuffix(".svg")
    else:
        name = re.sub(r"[^a-z0-9]", "", fallback.lower())
    return name if logo_file(name) is not None else None


def _colour(value: str | None, default: str) -> str:
    # Colours go into a <style> block: only #rrggbb gets there.
    return value if value and HEX_COLOUR.match(value) else default


def partner_brand(partner: Partner) -> Brand:
    return Brand(
        name=partner.display_name or partner.name,
        primary_color=_colour(partner.primary_color, PLATFORM_PRIMARY),
        secondary_color=_colour(partner.secondary_color, PLATFORM_SOFT),
        logo=_logo_name(partner.logo_url, partner.name),
        support_email=partner.support_email,
        support_phone=partner.support_phone,
        partner_id=partner.id,
    )


def platform_brand(db: Session) -> Brand:
    settings = db.scalar(select(PlatformSettings).limit(1))
    return Brand(
        name=settings.name if settings else "Energy Cloud",
        primary_color=PLATFORM_PRIMARY,
        secondary_color=PLATFORM_SOFT,
        logo=PLATFORM_LOGO if logo_file(PLATFORM_LOGO) else None,
        support_email=settings.support_email if settings else None,
        support_phone=None,
    )


def host_name(host_header: str | None) -> str:
    host = (host_header or "").strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.split(":")[0]


def partner_id_of(db: Session, principal: Principal | None) -> int | None:
    if principal is None:
        return None
    if principal.partner_id is not None:
        return principal.partner_id
    if principal.customer_id is not None:
        return db.scalar(select(Customer.partner_id).where(Customer.id == principal.customer_id))
    return None


def brand_for(db: Session, *, host: str | None, principal: Principal | None) -> Brand:
    """The partner whose domain the request came to, else the user's partner,
    else the platform."""
    name = host_name(host)
    if name:
        partner = db.scalar(select(Partner).where(func.lower(Partner.domain) == name))
        if partner is not None:
            return partner_brand(partner)
    partner_id = partner_id_of(db, principal)
    if partner_id is not None:
        partner = db.get(Partner, partner_id)
        if partner is not None:
            return partner_brand(partner)
    return platform_brand(db)
