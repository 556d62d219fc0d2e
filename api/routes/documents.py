"""Documents (invoices, payout and profit-share statements, credit notes) listed
and downloaded as PDF by whoever sees their recipient, and the finance view of
a settlement period with approve / reject (signals to MonthlySettlementWorkflow)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ScopedQuery
from api.documents import decide_period, pdf_response
from api.pagination import Page, PageDep, paginate, sorted_by
from api.routes.resources import ERRORS
from api.schemas.common import In, Out, PathId, _examples
from db.documents import period_rows
from db.models import IssuedDocumentRow, SettlementPeriod
from db.payment_overview import period_overview
from db.settlement_periods import reconcile_period
from domain.visibility import Action

router = APIRouter()
Period = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"])]


class DocumentOut(Out):
    id: int
    period: str
    kind: str
    direction: str
    number: str
    recipient_ref: str
    recipient_name: str
    issue_date: date
    due_date: date | None
    net_cents: int
    vat_cents: int
    total_cents: int
    currency: str
    corrects_number: str | None
    issued_at: datetime


@router.get("/documents", response_model=Page[DocumentOut], tags=["documents"],
            responses=ERRORS, summary="Documents addressed to my subtree")
def list_documents(scoped: ScopedQuery, page: PageDep, period: Period = None,
                   kind: Annotated[str | None, Query(max_length=32,
                                                     pattern=r"^[a-z_]+$")] = None):
    query = scoped.select(IssuedDocumentRow)
    if period is not None:
        query = query.where(IssuedDocumentRow.period == period)
    if kind is not None:
        query = query.where(IssuedDocumentRow.kind == kind)
    D = IssuedDocumentRow
    query = sorted_by(query, page, {"id": D.id, "number": D.number, "issue_date": D.issue_date,
                                    "total_cents": D.total_cents}, D.id.desc())
    return paginate(scoped.db, query, page, DocumentOut.model_validate)


@router.get("/documents/{item_id}", response_model=DocumentOut, tags=["documents"],
            responses=ERRORS, summary="One document")
def get_document(item_id: PathId, scoped: ScopedQuery) -> DocumentOut:
    return DocumentOut.model_validate(scoped.get(IssuedDocumentRow, item_id, "document"))


@router.get("/documents/{item_id}/pdf", tags=["documents"], summary="The document's PDF",
            responses={**ERRORS, 200: {"content": {"application/pdf": {}},
                                       "description": "The PDF"}})
def document_pdf(item_id: PathId, scoped: ScopedQuery) -> Response:
    """The PDF rendered when the document was issued; rendered now from the
    stored (immutable) content when it has not been yet."""
    return pdf_response(scoped.get(IssuedDocumentRow, item_id, "document"))


class PeriodOut(Out):
    id: int
    period: str
    state: str
    runs: int
    computed_at: datetime | None
    issued_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    rejected_by: str | None
    rejected_at: datetime | None
    rejection_reason: str | None
    payouts_released_at: datetime | None
    settled_at: datetime | None
    blocked_reason: str | None


class KindTotal(BaseModel):
    kind: str
    count: int
    net_cents: int
    vat_cents: int
    total_cents: int


class PeriodView(PeriodOut):
    documents: list[KindTotal]
    in_cents: int = Field(description="Net due to the platform (invoices).")
    out_cents: int = Field(description="Net paid by the platform (statements).")
    kept_cents: int
    vat_payable_cents: int
    mismatches: list[str]
    problems: list[str]


class RejectIn(In):
    model_config = _examples({"reason": "Acme's October subscription lines are missing DEPOT-03."})
    reason: str = Field(min_length=3, max_length=1000, pattern=r"^[^\x00]*$")


class Decision(BaseModel):
    period: str
    signalled: str
    by: str


@router.get("/settlement-periods", response_model=Page[PeriodOut], tags=["settlement"],
            responses=ERRORS, summary="Settlement periods (platform)")
def list_periods(scoped: ScopedQuery, page: PageDep):
    query = scoped.select(SettlementPeriod).order_by(SettlementPeriod.period.desc())
    return paginate(scoped.db, query, page, PeriodOut.model_validate)


@router.get("/settlement-periods/{item_id}", response_model=PeriodView, tags=["settlement"],
            responses=ERRORS, summary="Finance view of a period: documents and reconciliation")
def period_view(item_id: PathId, scoped: ScopedQuery) -> PeriodView:
    row = scoped.get(SettlementPeriod, item_id, "settlement period")
    totals: dict[str, KindTotal] = {}
    for doc in period_rows(scoped.db, row.period):
        t = totals.setdefault(doc.kind, KindTotal(kind=doc.kind, count=0, net_cents=0,
                                                  vat_cents=0, total_cents=0))
        t.count += 1
        t.net_cents += doc.net_cents
        t.vat_cents += doc.vat_cents
        t.total_cents += doc.total_cents
    rec = reconcile_period(scoped.db, row.period)
    return PeriodView(
        **PeriodOut.model_validate(row).model_dump(), documents=list(totals.values()),
        in_cents=rec.in_cents, out_cents=rec.out_cents, kept_cents=rec.kept_cents,
        vat_payable_cents=rec.vat_payable_cents,
        mismatches=[str(m) for m in rec.mismatches], problems=list(rec.problems),
    )


class FlowOut(BaseModel):
    direction: str = Field(description="`in` (collected from a debtor) or `out` (paid out).")
    number: str = Field(description="The flow's first document number, its end-to-end id.")
    party: str
    method: str = Field(description="sepa_mandate | mollie | bank_transfer (in); "
                                    "pain.001 | mollie (out).")
    amount_cents: int
    status: str = Field(description="open | paid | failed | flagged (in); sent | paid | "
                                    "failed (out).")
    due_date: date | None
    note: str


class PaymentsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "period": "2026-10", "collected_cents": 0, "outstanding_cents": 5935,
        "overdue_cents": 0, "paid_out_cents": 0, "payouts_pending_cents": 2708,
        "bounced_cents": 0, "flows": [{
            "direction": "in", "number": "INV-2026-000001", "party": "Acme Logistics B.V.",
            "method": "sepa_mandate", "amount_cents": 4188, "status": "open",
            "due_date": "2026-11-30", "note": ""}]}]})
    period: str
    collected_cents: int
    outstanding_cents: int
    overdue_cents: int = Field(description="Outstanding past its due date (today).")
    paid_out_cents: int
    payouts_pending_cents: int
    bounced_cents: int = Field(description="Collections failed now and failed payouts.")
    flows: list[FlowOut]


@router.get("/settlement-periods/{item_id}/payments", response_model=PaymentsOut,
            tags=["settlement"], responses=ERRORS,
            summary="The period's money after approval: collected, outstanding, paid out")
def period_payments(item_id: PathId, scoped: ScopedQuery) -> PaymentsOut:
    """Every collection (invoices) and payout (statements) of the period with
    its status, as the bank and the payment provider reported it. Finance only."""
    row = scoped.get(SettlementPeriod, item_id, "settlement period")
    scoped.require(Action.FINANCE)
    view = period_overview(scoped.db, row.period, today=date.today())
    return PaymentsOut(
        period=view.period, collected_cents=view.collected_cents,
        outstanding_cents=view.outstanding_cents, overdue_cents=view.overdue_cents,
        paid_out_cents=view.paid_out_cents, payouts_pending_cents=view.payouts_pending_cents,
        bounced_cents=view.bounced_cents,
        flows=[FlowOut(**vars(line)) for line in view.lines],
    )


@router.post("/settlement-periods/{item_id}/approve", response_model=Decision, status_code=202,
             tags=["settlement"], responses=ERRORS, summary="Approve the period (finance)")
async def approve(item_id: PathId, request: Request, scoped: ScopedQuery) -> Decision:
    """Signals the period's MonthlySettlementWorkflow; it re-runs the
    reconciliation and releases payouts, or records why the approval is refused."""
    period = await decide_period(request, scoped, item_id, "approve", None)
    return Decision(period=period, signalled="approve", by=scoped.caller.actor)


@router.post("/settlement-periods/{item_id}/reject", response_model=Decision, status_code=202,
             tags=["settlement"], responses=ERRORS, summary="Reject the period (finance)")
async def reject(item_id: PathId, body: RejectIn, request: Request,
                 scoped: ScopedQuery) -> Decision:
    """Sends the period back for a new run, with the reason."""
    period = await decide_period(request, scoped, item_id, "reject", body.reason)
    return Decision(period=period, signalled="reject", by=scoped.caller.actor)
