"""The ledger entry of a settled charging session (DOMAIN.md §5)."""

from __future__ import annotations

from domain.enums import Category
from domain.ledger.accounts import (
    REVENUE_ROAMING_FEES,
    REVENUE_ROAMING_MARGIN,
    payable_org,
    payable_partner,
    receivable_emsp,
    receivable_org,
)
from domain.ledger.entries import EntryKind, JournalEntry, build_entry
from domain.ledger.errors import LedgerError
from domain.split import SessionSplit


def session_entry(
    workflow_id: str,
    split: SessionSplit,
    owner_org_id: int,
    main_org_id: int,
    employee_org_id: int,
    partner_id: int | None,
    emsp_id: int | None,
    *,
    currency: str = "EUR",
) -> JournalEntry | None:
    """The ledger entry of a settled session (DOMAIN.md §5); None for free and
    rejected sessions. Key: `<workflow id>:ledger`.

    Roaming: Dr receivable:emsp, Cr payable:org (owner), Cr payable:partner (or
    revenue:roaming_fees without partner), Cr revenue:roaming_margin (a negative
    margin is a debit). Reimbursed: Dr receivable:org (main), Cr payable:org (employee).
    """
    key = f"{workflow_id}:ledger"
    if split.category is Category.ROAMING:
        if emsp_id is None:
            raise LedgerError(f"{key}: a roaming session needs the eMSP to bill")
        fee_account = REVENUE_ROAMING_FEES if partner_id is None else payable_partner(partner_id)
        return build_entry(
            key,
            f"roaming session {workflow_id}",
            [
                (receivable_emsp(emsp_id), split.emsp_billed_cents),
                (payable_org(owner_org_id), -split.owner_compensation_cents),
                (fee_account, -split.partner_fee_cents),
                (REVENUE_ROAMING_MARGIN, -split.platform_margin_cents),
            ],
            kind=EntryKind.SESSION,
            currency=currency,
        )
    if split.category is Category.REIMBURSED:
        if split.main_org_invoiced_cents != split.employee_payout_cents:
            raise LedgerError(f"{key}: reimbursement must pass through unchanged")
        return build_entry(
            key,
            f"reimbursed session {workflow_id}",
            [
                (receivable_org(main_org_id), split.main_org_invoiced_cents),
                (payable_org(employee_org_id), -split.employee_payout_cents),
            ],
            kind=EntryKind.SESSION,
            currency=currency,
        )
    return None
