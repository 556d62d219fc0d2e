"""Documents (DOMAIN.md §8): the invoices, roaming invoices, payout and profit
share statements and credit notes issued to the parties the caller may see, by
period, with their PDF. Rows are read through `Scoped` (db.scope.visible knows
a document's recipient), so another party's document is not found."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.requests import Request
from starlette.responses import Response

from api.deps import PortalScopedQuery
from api.documents import pdf_response
from api.portal.render import EXTRA_PAGES, NavItem, page
from api.portal.routing import portal_router
from db.models import IssuedDocumentRow

router = portal_router()
KIND_NAMES = {
    "invoice": "Invoice",
    "roaming_invoice": "Roaming invoice",
    "payout_statement": "Payout statement",
    "profit_share_statement": "Profit share statement",
    "credit_note": "Credit note",
}
# Everyone has documents: an employee its payout statements (reimbursements).
EXTRA_PAGES.append((NavItem("documents", "Documents", "/documents", "doc"), lambda caller: True))


@router.get("/documents")
def documents(
    request: Request,
    scoped: PortalScopedQuery,
    period: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    periods = [p for (p,) in scoped.db.execute(
        scoped.select(IssuedDocumentRow).with_only_columns(IssuedDocumentRow.period)
        .distinct().order_by(IssuedDocumentRow.period.desc())
    )]
    query = scoped.select(IssuedDocumentRow)
    if period:
        query = query.where(IssuedDocumentRow.period == period)
    rows = list(scoped.db.scalars(
        query.order_by(IssuedDocumentRow.period.desc(), IssuedDocumentRow.number).limit(500)
    ))
    return page(request, scoped.db, "documents.html", caller=scoped.caller, active="documents",
                title="Documents", rows=rows, periods=periods, period=period,
                kind_names=KIND_NAMES)


@router.get("/documents/{doc_id}/pdf")
def document_pdf(scoped: PortalScopedQuery, doc_id: int) -> Response:
    return pdf_response(scoped.get(IssuedDocumentRow, doc_id, "document"))
