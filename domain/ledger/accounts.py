"""Account names of the ledger: `<kind>:<...>` (e.g. `payable:org:12`), the fixed
platform accounts, and the per-party account builders."""

from __future__ import annotations

import re

from domain.ledger.errors import LedgerError

ACCOUNT_PATTERN = re.compile(r"[a-z_]+(:[A-Za-z0-9_.\-]+)+")
REVENUE_SUBSCRIPTIONS = "revenue:subscriptions"
REVENUE_ROAMING_MARGIN = "revenue:roaming_margin"
REVENUE_ROAMING_FEES = "revenue:roaming_fees"  # default roaming fee, customers without partner
EXPENSE_PARTNER_KICKBACK = "expense:partner_kickback"
EXPENSE_PSP_FEES = "expense:psp_fees"
LIABILITY_VAT = "liability:vat"
CASH_BANK = "cash:bank"
CLEARING_PSP = "clearing:psp"


def receivable_org(organization_id: int) -> str:
    return f"receivable:org:{_id(organization_id)}"


def receivable_emsp(emsp_id: int) -> str:
    return f"receivable:emsp:{_id(emsp_id)}"


def payable_org(organization_id: int) -> str:
    return f"payable:org:{_id(organization_id)}"


def payable_partner(partner_id: int) -> str:
    return f"payable:partner:{_id(partner_id)}"


def _require_prefix(account: str, prefix: str) -> None:
    if not account.startswith(prefix):
        raise LedgerError(f"expected a {prefix}… account, not {account!r}")


def _id(value: int | str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value) == "":
        raise LedgerError(f"not an account id: {value!r}")
    return str(value)
