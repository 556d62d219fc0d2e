"""Finance's review of a month's settlement (DOMAIN.md §8): each period's state,
its documents by kind, the reconciliation (in = out + kept, VAT payable) and,
while it awaits approval, approve / reject. The decision is the REST API's
(`api.documents.decide_period`): the same signal to the period's
MonthlySettlementWorkflow, the same checks, the same audit entry."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Form, HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.deps import PortalScopedQuery, require_csrf
from api.documents import decide_period
from api.portal.documents import KIND_NAMES
from api.portal.render import EXTRA_PAGES, NavItem, page
from api.portal.routing import portal_router
from db.documents import period_rows
from db.models import SettlementPeriod
from db.payment_overview import period_overview
from db.payments import RELEASABLE
from db.settlement_periods import reconcile_period
from domain.errors import Conflict
from domain.visibility import Action, allowed_actions

router = portal_router()
EXTRA_PAGES.append((NavItem("settlements", "Settlements", "/settlements", "check"),
                    lambda caller: Action.FINANCE in allowed_actions(caller.role)))
METHODS = {"sepa_mandate": "Direct debit", "mollie": "Mollie", "bank_transfer": "Bank transfer",
           "pain.001": "SEPA transfer"}
DONE = {"approve": "Approval sent: the settlement releases the payouts and settles the period.",
        "reject": "Rejection sent: the period is computed again in a new run."}
REFUSED = {
    "settlement.not_awaiting": "The period is not awaiting approval (any more): nothing was sent.",
    "settlement.no_run": "No settlement run of this period is waiting for a decision.",
    "temporal": "Temporal cannot be reached right now; nothing was sent. Try again.",
    "reason": "Say why the period is rejected (at least 3 characters).",
}


def kind_totals(db, period: str) -> list[dict]:
    totals: dict[str, dict] = {}
    for doc in period_rows(db, period):
        t = totals.setdefault(doc.kind, {"kind": KIND_NAMES.get(doc.kind, doc.kind), "count": 0,
                                         "net": 0, "vat": 0, "total": 0})
        t["count"] += 1
        t["net"] += doc.net_cents
        t["vat"] += doc.vat_cents
        t["total"] += doc.total_cents
    return list(totals.values())


@router.get("/settlements")
def settlements(
    request: Request, scoped: PortalScopedQuery, period: str = "", done: str = "",
    refused: str = "",
) -> Response:
    scoped.require(Action.FINANCE)
    periods = list(scoped.db.scalars(
        scoped.select(SettlementPeriod).order_by(SettlementPeriod.period.desc()).limit(36)))
    chosen = next((p for p in periods if p.period == period), periods[0] if periods else None)
    view = None
    if chosen is not None:
        view = {"row": chosen, "kinds": kind_totals(scoped.db, chosen.period),
                "reconciliation": reconcile_period(scoped.db, chosen.period),
                # After approval: where each collection and payout stands.
                "payments": (period_overview(scoped.db, chosen.period, today=date.today())
                             if chosen.state in RELEASABLE else None)}
    notices = []
    if done in DONE:
        notices.append(("ok", DONE[done]))
    if refused in REFUSED:
        notices.append(("bad", REFUSED[refused]))
    return page(request, scoped.db, "settlements.html", caller=scoped.caller,
                active="settlements", title="Settlements", periods=periods, view=view,
                method_names=METHODS,
                notices=notices)


async def _decide(request: Request, scoped, period_id: int, decision: str, reason: str | None):
    row = scoped.get(SettlementPeriod, period_id, "settlement period")
    target = f"/settlements?period={row.period}"
    try:
        await decide_period(request, scoped, period_id, decision, reason)
    except Conflict as refused:
        return RedirectResponse(f"{target}&refused={refused.code}", status_code=303)
    except HTTPException:  # Temporal unavailable (503)
        return RedirectResponse(f"{target}&refused=temporal", status_code=303)
    return RedirectResponse(f"{target}&done={decision}", status_code=303)


@router.post("/settlements/{period_id}/approve", dependencies=[Depends(require_csrf)])
async def approve(request: Request, scoped: PortalScopedQuery, period_id: int) -> Response:
    return await _decide(request, scoped, period_id, "approve", None)


@router.post("/settlements/{period_id}/reject", dependencies=[Depends(require_csrf)])
async def reject(
    request: Request, scoped: PortalScopedQuery, period_id: int,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if len(reason.strip()) < 3:
        row = scoped.get(SettlementPeriod, period_id, "settlement period")
        return RedirectResponse(f"/settlements?period={row.period}&refused=reason",
                                status_code=303)
    return await _decide(request, scoped, period_id, "reject", reason.strip())

