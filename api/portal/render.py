"""Rendering a portal page: the Jinja2 environment, the filters the templates
use (money from integer cents, kWh from Wh, local times) and the frame every
page shares (brand, caller, navigation, CSRF token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.auth.principal import Caller
from api.portal.branding import Brand, brand_for
from domain.enums import Role
from domain.visibility import PARTNER_ROLES, PLATFORM_ROLES, Action, allowed_actions

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
DISPLAY_TZ = ZoneInfo("Europe/Amsterdam")
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}
ROLE_NAMES = {
    Role.PLATFORM_ADMIN: "Platform admin",
    Role.PLATFORM_FINANCE: "Platform finance",
    Role.PARTNER_ADMIN: "Partner admin",
    Role.PARTNER_SUPPORT: "Partner support",
    Role.CUSTOMER_ADMIN: "Customer admin",
    Role.CUSTOMER_USER: "Employee",
}


def money(cents: int | None, currency: str = "EUR") -> str:
    """Integer cents as '€ 1,234.56' (no float on the way)."""
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{CURRENCY_SIGNS.get(currency, currency + ' ')}\u00a0{whole:,}.{rest:02d}"


def kwh(wh: int | None) -> str:
    """Wh as kWh with three decimals at most, exact (integer arithmetic)."""
    wh = int(wh or 0)
    whole, rest = divmod(abs(wh), 1000)
    text = f"{whole:,}.{rest:03d}".rstrip("0").rstrip(".") if rest else f"{whole:,}"
    return f"{'-' if wh < 0 else ''}{text}"


def local(at: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    if at is None:
        return "—"
    return at.astimezone(DISPLAY_TZ).strftime(fmt)


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(max(minutes, 0), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


TEMPLATES.env.filters.update(money=money, kwh=kwh, local=local)
TEMPLATES.env.globals.update(duration=duration, role_names=ROLE_NAMES)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str
    icon: str


def navigation(caller: Caller) -> list[NavItem]:
    """The sidebar: what this role may use."""
    actions = allowed_actions(caller.role)
    items = [
        NavItem("dashboard", "Dashboard", "/", "grid"),
        NavItem("tree", "Sites & chargers", "/tree", "tree"),
        NavItem("transactions", "Transactions", "/transactions", "bolt"),
    ]
    if Action.MANAGE in actions:
        items.append(NavItem("onboard", "Onboarding", "/onboard", "plus"))
    items += [item for item, wanted in EXTRA_PAGES if wanted(caller)]
    items.append(NavItem("audit", "Audit log", "/audit", "list"))
    return items


# Pages added by modules that need the settlement (documents, finance review):
# they register themselves here with who sees them.
EXTRA_PAGES: list[tuple[NavItem, object]] = []


def scope_label(caller: Caller) -> str:
    if caller.role in PLATFORM_ROLES:
        return "whole platform"
    if caller.role in PARTNER_ROLES:
        return "your customers"
    if caller.role == Role.CUSTOMER_ADMIN:
        return "your company"
    return "your organization"


def page(
    request: Request,
    db: Session,
    template: str,
    *,
    caller: Caller | None,
    active: str = "",
    status_code: int = 200,
    **context,
) -> HTMLResponse:
    brand: Brand = brand_for(db, host=request.headers.get("host"), principal=caller)
    return TEMPLATES.TemplateResponse(
        request,
        f"portal/{template}",
        {
            "brand": brand,
            "caller": caller,
            "csrf_token": caller.csrf_token if caller else "",
            "nav": navigation(caller) if caller else [],
            "active": active,
            "scope_label": scope_label(caller) if caller else "",
            "can": allowed_actions(caller.role) if caller else frozenset(),
            "Action": Action,
            **context,
        },
        status_code=status_code,
    )
