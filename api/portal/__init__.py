"""The web portal, server-rendered with Jinja2 by the API's own app: log in,
dashboard, tree, charging points with live status and remote actions,
transactions with CSV export, onboarding, audit log; white-labelled per partner
(api.portal.branding). `api.app.create_app` includes `router`."""

from __future__ import annotations

from fastapi import APIRouter

from api.portal import (
    audit_view,
    auth_views,
    charging_points,
    dashboard,
    documents,
    onboarding,
    password_links,
    settlements,
    sse,
    transactions,
    tree_view,
)
from api.portal.routing import assets

router = APIRouter(include_in_schema=False)
for part in (assets, auth_views.router, password_links.router, dashboard.router, tree_view.router,
             charging_points.router, sse.router, transactions.router, onboarding.router,
             documents.router, settlements.router, audit_view.router):
    router.include_router(part)
