"""The settlement file for finance (DOMAIN.md §8.5): one row per money movement
of the period (parquet and CSV), the journal the documents imply, its trial
balance (which must sum to zero), and control totals.

Files written to `out_dir`:

* `movements.parquet` / `movements.csv` — one row per document's payment: payer,
  payee, document key, account, net, VAT, amount (cents), counterparty IBAN,
  method (direct debit, bank transfer, credit transfer);
* `journal.parquet` / `journal.csv` — postings per document, step and account;
* `trial_balance.parquet` / `trial_balance.csv` — balance per account;
* `control_totals.json` — counts and sums finance checks first (money in, out,
  kept; VAT collected, on self-billing, payable).

A trial balance that does not sum to zero is a bug, never a file: it raises.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from domain.ledger import (
    EXPENSE_PARTNER_KICKBACK,
    LIABILITY_VAT,
    REVENUE_ROAMING_FEES,
    REVENUE_ROAMING_MARGIN,
    REVENUE_SUBSCRIPTIONS,
)

__all__ = ["SettlementFileError", "SettlementFileResult", "control_totals", "trial_balance",
           "write_settlement_file"]

log = logging.getLogger(__name__)
PLATFORM_RESULT_ACCOUNTS = (
    REVENUE_SUBSCRIPTIONS, REVENUE_ROAMING_MARGIN, REVENUE_ROAMING_FEES, EXPENSE_PARTNER_KICKBACK,
)


class SettlementFileError(ValueError):
    """The period's figures do not add up; no settlement file is written."""


@dataclass(frozen=True)
class SettlementFileResult:
    period: str
    paths: dict[str, Path]  # name → file
    control_totals: dict[str, int]
    trial_balance: dict[str, int]  # account → cents (debit positive)

    @property
    def balanced(self) -> bool:
        return sum(self.trial_balance.values()) == 0


def trial_balance(journal: pl.DataFrame) -> pl.DataFrame:
    return (
        journal.group_by("account").agg(pl.col("amount_cents").sum())
        .sort("account")
    )


def control_totals(
    totals: pl.DataFrame, balance: dict[str, int], lines: int = 0
) -> dict[str, int]:
    """SCENARIOS.md's reconciliation figures, in cents."""
    due = totals.filter(pl.col("direction") == "due_to_platform")
    paid = totals.filter(pl.col("direction") == "paid_by_platform")

    def total(frame: pl.DataFrame, column: str) -> int:
        return int(frame[column].sum()) if frame.height else 0

    result = {
        "documents": totals.height,
        "lines": lines,
        "money_in_net_cents": total(due, "net_cents"),
        "money_out_net_cents": total(paid, "net_cents"),
        "vat_collected_cents": total(due, "vat_cents"),
        "vat_self_billing_cents": total(paid, "vat_cents"),
        "collections_cents": total(due, "total_cents"),
        "payouts_cents": total(paid, "total_cents"),
        # What the platform keeps = its result accounts (credit balances are negative).
        "platform_keeps_cents": -sum(balance.get(a, 0) for a in PLATFORM_RESULT_ACCOUNTS),
        "vat_payable_cents": -balance.get(LIABILITY_VAT, 0),
    }
    result["platform_keeps_by_documents_cents"] = (
        result["money_in_net_cents"] - result["money_out_net_cents"]
    )
    for kind in ("invoice", "roaming_invoice", "payout_statement", "profit_share_statement"):
        of_kind = totals.filter(pl.col("doc_kind") == kind)
        result[f"{kind}_count"] = of_kind.height
        result[f"{kind}_total_cents"] = total(of_kind, "total_cents")
    return result


def write_settlement_file(comp, out_dir: Path) -> SettlementFileResult:
    """Write the settlement file of a computed period (`settlement.jobs.compute_period`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    balance_frame = trial_balance(comp.journal)
    balance = dict(zip(balance_frame["account"], balance_frame["amount_cents"], strict=True))
    off = sum(balance.values())
    if off != 0:
        raise SettlementFileError(
            f"the trial balance of {comp.period} is off by {off} cents; no settlement file written"
        )
    totals = control_totals(
        comp.totals, balance, lines=sum(frame.height for frame in comp.lines.values())
    )
    if totals["platform_keeps_cents"] != totals["platform_keeps_by_documents_cents"]:
        raise SettlementFileError(
            f"{comp.period}: the journal keeps {totals['platform_keeps_cents']} cents but the "
            f"documents leave {totals['platform_keeps_by_documents_cents']}"
        )
    paths: dict[str, Path] = {}
    for name, frame in (("movements", comp.movements), ("journal", comp.journal),
                        ("trial_balance", balance_frame)):
        paths[f"{name}.parquet"] = out_dir / f"{name}.parquet"
        paths[f"{name}.csv"] = out_dir / f"{name}.csv"
        frame.write_parquet(paths[f"{name}.parquet"])
        frame.write_csv(paths[f"{name}.csv"])
    paths["control_totals.json"] = out_dir / "control_totals.json"
    paths["control_totals.json"].write_text(
        json.dumps({"period": comp.period, **totals}, indent=2, sort_keys=True) + "\n"
    )
    log.info("settlement file of %s written to %s: %s", comp.period, out_dir, totals)
    return SettlementFileResult(comp.period, paths, totals, balance)
