"""One router per resource; `api.app` mounts every router of `ROUTERS` under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    audit,
    auth,
    charging_points,
    documents,
    health,
    money,
    people,
    transactions,
    tree,
)

ROUTERS: list[APIRouter] = [
    health.router, auth.router, tree.router, charging_points.router, people.router,
    money.router, transactions.router, documents.router, audit.router,
]

TAGS = [
    {"name": "health", "description": "Is the platform up: database and Temporal."},
    {"name": "auth", "description": "Log in (OAuth2 password flow), log out, change the"
     " password, API keys for partner integrations."},
    {"name": "partners", "description": "Partners (white-label resellers) and their branding."},
    {"name": "customers", "description": "A partner's customers."},
    {"name": "organizations", "description": "Main organizations and suborganizations."},
    {"name": "locations", "description": "Sites with charging points."},
    {"name": "charging-points", "description": "Charging points and connectors: onboarding,"
     " effective settings, live status, remote actions."},
    {"name": "users", "description": "Logins."},
    {"name": "cards", "description": "Charging cards."},
    {"name": "whitelists", "description": "Cards allowed at locations or charging points."},
    {"name": "rates", "description": "Rates in the OCPI 2.2.1 tariff shape."},
    {"name": "plans", "description": "Subscription plans."},
    {"name": "emsps", "description": "Roaming eMSPs and their public tokens."},
    {"name": "transactions", "description": "Charging sessions, live and finished."},
    {"name": "documents", "description": "Invoices, statements and credit notes, as PDF."},
    {"name": "settlement", "description": "The finance view of a month: approve or reject."},
    {"name": "audit", "description": "Who changed what, when."},
]
