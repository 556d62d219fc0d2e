"""What the REST API (api.routes.documents) and the portal (api.portal) do alike
with documents and settlement periods: serve a document's PDF, and send
finance's decision on a period to its MonthlySettlementWorkflow (the same
checks, the same signal, the same audit entry, whichever of the two asks)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.deps import get_temporal_client
from api.scoped import Scoped
from db import audit
from db.documents import as_issued
from db.models import IssuedDocumentRow, SettlementPeriod
from domain.errors import Conflict
from domain.visibility import Action

log = logging.getLogger(__name__)


def pdf_response(row: IssuedDocumentRow) -> Response:
    """The PDF rendered when the document was issued; rendered now from the
    stored (immutable) content when it has not been yet."""
    stored = Path(row.pdf_path) if row.pdf_path else None
    if stored is not None and stored.is_file():
        pdf = stored.read_bytes()
    else:
        from invoices.render import render_pdf  # WeasyPrint: loaded only when needed

        pdf = render_pdf(as_issued(row))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{row.number}.pdf"'})


async def decide_period(request: Request, scoped: Scoped, item_id: int, decision: str,
                        reason: str | None) -> str:
    """Signal `decision` ("approve" or "reject", with the reason) to the period's
    workflow and record it in the audit log; returns the period (YYYY-MM).
    Only finance decides, only on a period awaiting approval (Conflict
    settlement.not_awaiting), and only while a run waits for it (Conflict
    settlement.no_run); Temporal unreachable is the 503 of get_temporal_client."""
    from activities.settlement_messages import Approval, Rejection, settlement_workflow_id
    from workflows.monthly_settlement import MonthlySettlementWorkflow

    row = await run_in_threadpool(scoped.get, SettlementPeriod, item_id, "settlement period")
    scoped.require(Action.FINANCE)
    if row.state != "awaiting_approval":
        raise Conflict(f"period {row.period} is {row.state}, not awaiting approval",
                       code="settlement.not_awaiting")
    period, before = row.period, audit.snapshot(row)
    # The run that computed the period recorded its workflow id on the period.
    workflow_id = row.workflow_id or settlement_workflow_id(period)
    await run_in_threadpool(scoped.db.commit)  # no transaction held while Temporal answers
    client = await get_temporal_client(request)
    handle = client.get_workflow_handle(workflow_id)
    now = datetime.now(UTC).isoformat()
    try:
        if decision == "approve":
            await handle.signal(MonthlySettlementWorkflow.approve,
                                Approval(by=scoped.caller.actor, at=now))
        else:
            await handle.signal(MonthlySettlementWorkflow.reject,
                                Rejection(by=scoped.caller.actor, reason=reason or "", at=now))
    except Exception as exc:  # noqa: BLE001  (no run to tell: say so, never a 500)
        log.warning("Settlement %s signal %s failed: %s", period, decision, exc)
        raise Conflict(f"no settlement run of {period} is waiting for a decision",
                       code="settlement.no_run") from exc

    def record() -> None:
        audit.record(scoped.db, principal=scoped.caller, action=f"settlement.{decision}",
                     object_type="settlement_period", object_id=item_id, before=before,
                     after={"decision": decision, "reason": reason, "at": now})
        scoped.db.commit()

    await run_in_threadpool(record)
    return period
