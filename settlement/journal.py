"""A period's documents as money, in polars: totals per document (VAT per rate
on the net), the double-entry journal they imply, and one money movement per
document (who pays whom). Account names and signs are those of
`domain/ledger.py` (debit positive, credit negative):

* session postings, as the session workflow posted them (roaming: Dr the eMSP,
  Cr owner, partner or `revenue:roaming_fees`, margin; reimbursed: Dr the main
  organization, Cr the employee), keyed to the invoice that bills them;
* per document: subscriptions (Dr receivable, Cr `revenue:subscriptions`),
  kickback (Dr `expense:partner_kickback`, Cr the partner), VAT (on sales: Dr
  receivable, Cr `liability:vat`; on self-billing: Dr `liability:vat`, Cr
  payable), and the payment (collection: Dr `cash:bank`, Cr receivable; payout:
  Dr payable, Cr `cash:bank`).

After the payments every receivable and payable of the period is zero, and the
trial balance shows what the platform keeps and the VAT it owes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from domain.ledger import (
    CASH_BANK,
    EXPENSE_PARTNER_KICKBACK,
    LIABILITY_VAT,
    REVENUE_ROAMING_FEES,
    REVENUE_ROAMING_MARGIN,
    REVENUE_SUBSCRIPTIONS,
)
from settlement import exprs as x
from settlement.schemas import scan

__all__ = ["document_totals", "journal", "movements", "session_sums"]

DOC = ["doc_kind", "party_kind", "party_id"]
DUE_KINDS = ["invoice", "roaming_invoice"]
KIND_ORDER = {"invoice": 0, "roaming_invoice": 1, "payout_statement": 2,
              "profit_share_statement": 3}
JOURNAL_SCHEMA = {"document_key": pl.String, "step": pl.String, "account": pl.String,
                  "amount_cents": pl.Int64}


def _key() -> pl.Expr:
    return pl.concat_str("doc_kind", pl.lit(":"), "party_kind", pl.lit(":"),
                         pl.col("party_id").cast(pl.String))


def _party_account() -> pl.Expr:
    pid = pl.col("party_id").cast(pl.String)
    kind = pl.col("doc_kind")
    return (
        pl.when(kind == "invoice").then(pl.concat_str(pl.lit("receivable:org:"), pid))
        .when(kind == "roaming_invoice").then(pl.concat_str(pl.lit("receivable:emsp:"), pid))
        .when(kind == "payout_statement").then(pl.concat_str(pl.lit("payable:org:"), pid))
        .otherwise(pl.concat_str(pl.lit("payable:partner:"), pid))
    )


SUM_COLUMNS = ("energy_wh", "emsp_billed_cents", "main_org_invoiced_cents",
               "owner_compensation_cents", "employee_payout_cents", "partner_fee_cents",
               "platform_margin_cents")


def session_sums(sessions: pl.LazyFrame) -> pl.LazyFrame:
    """The period's sessions summed per category and integer keys: one pass over
    the sessions that totals and the journal share."""
    return (
        sessions.filter(pl.col("category").is_in(["roaming", "reimbursed"]))
        .group_by("category", "emsp_id", "organization_id", "main_organization_id",
                  "partner_id")
        .agg(*(pl.col(c).sum() for c in SUM_COLUMNS), sessions=pl.len().cast(pl.Int64))
    )


def _roaming(sums: pl.LazyFrame) -> pl.LazyFrame:
    return sums.filter((pl.col("category") == "roaming") & pl.col("emsp_id").is_not_null())


def _reimbursed(sums: pl.LazyFrame) -> pl.LazyFrame:
    return sums.filter(pl.col("category") == "reimbursed")


def _piece(frame: pl.LazyFrame, party: str, column: str, bp, kind: str, party_kind: str,
           section: str) -> pl.LazyFrame:
    bp_expr = pl.lit(bp, pl.Int64) if isinstance(bp, int) else pl.col(bp).cast(pl.Int64)
    return (
        frame.group_by(party_id=pl.col(party).cast(pl.Int64), vat_rate_bp=bp_expr)
        .agg(amount_cents=pl.col(column).sum().cast(pl.Int64))
        .with_columns(doc_kind=pl.lit(kind), party_kind=pl.lit(party_kind),
                      section=pl.lit(section))
    )


def document_totals(
    *,
    subscriptions: pl.LazyFrame,
    kickbacks: pl.LazyFrame,
    sums: pl.LazyFrame,
    payee_vat: pl.LazyFrame,
    partner_vat: pl.LazyFrame,
    vat_bp: int,
) -> pl.LazyFrame:
    """One row per document: net, VAT (per rate on the net, half up), total, and
    the subscription and kickback nets the ledger posts separately. Summed from
    the session sums, not from the lines: an independent check of the lines."""
    roaming, reimbursed = _roaming(sums), _reimbursed(sums)
    org, emsp, partner = "organization", "emsp", "partner"
    lines = pl.concat([
        _piece(subscriptions, "party_id", "amount_cents", "vat_rate_bp", "invoice", org,
               "subscriptions"),
        _piece(reimbursed, "main_organization_id", "main_org_invoiced_cents", 0, "invoice",
               org, "reimbursed_energy"),
        _piece(roaming, "emsp_id", "emsp_billed_cents", vat_bp, "roaming_invoice", emsp,
               "roaming_sessions"),
        _piece(reimbursed, "organization_id", "employee_payout_cents", 0, "payout_statement",
               org, "reimbursements"),
        _piece(roaming.join(payee_vat, on="organization_id"), "organization_id",
               "owner_compensation_cents", "vat_rate_bp", "payout_statement", org,
               "roaming_compensation"),
        _piece(roaming.filter(pl.col("partner_id").is_not_null())
               .join(partner_vat.drop("kickback_bp"), on="partner_id"), "partner_id",
               "partner_fee_cents", "vat_rate_bp", "profit_share_statement", partner,
               "roaming_fees"),
        _piece(kickbacks, "party_id", "amount_cents", "vat_rate_bp", "profit_share_statement",
               partner, "kickbacks"),
    ])
    per_rate = lines.group_by(*DOC, "vat_rate_bp").agg(net=pl.col("amount_cents").sum())
    per_doc = per_rate.group_by(DOC).agg(
        net_cents=pl.col("net").sum(),
        vat_cents=x.vat(pl.col("net"), pl.col("vat_rate_bp")).sum(),
    )
    sections = lines.group_by(DOC).agg(
        subscriptions_cents=pl.col("amount_cents").filter(
            pl.col("section") == "subscriptions").sum(),
        kickback_cents=pl.col("amount_cents").filter(pl.col("section") == "kickbacks").sum(),
    )
    return (
        per_doc.join(sections, on=DOC)
        .with_columns(
            document_key=_key(),
            direction=pl.when(pl.col("doc_kind").is_in(DUE_KINDS))
            .then(pl.lit("due_to_platform")).otherwise(pl.lit("paid_by_platform")),
            total_cents=pl.col("net_cents") + pl.col("vat_cents"),
            account=_party_account(),
        )
        .sort(pl.col("doc_kind").replace_strict(KIND_ORDER, return_dtype=pl.Int64),
              "party_kind", "party_id")
    )


def _posting(frame: pl.LazyFrame, key: pl.Expr, step: str, account, amount) -> pl.LazyFrame:
    account = pl.lit(account) if isinstance(account, str) else account
    return frame.select(document_key=key, step=pl.lit(step), account=account,
                        amount_cents=amount)


def _ref(prefix: str, column: str) -> pl.Expr:
    return pl.concat_str(pl.lit(prefix), pl.col(column).cast(pl.String))


def journal(sums: pl.LazyFrame, totals: pl.LazyFrame) -> pl.LazyFrame:
    """The period's postings: (document key, step, account, cents), summed per
    key, step and account; zero postings left out. Built from the session sums,
    so account names are made per group, not per session."""
    roaming, reimbursed = _roaming(sums), _reimbursed(sums)
    by_emsp = roaming.group_by("emsp_id").agg(
        pl.col("emsp_billed_cents").sum(), pl.col("platform_margin_cents").sum())
    by_owner = roaming.group_by("emsp_id", "organization_id").agg(
        pl.col("owner_compensation_cents").sum())
    by_partner = roaming.group_by("emsp_id", "partner_id").agg(pl.col("partner_fee_cents").sum())
    by_main = reimbursed.group_by("main_organization_id").agg(
        pl.col("main_org_invoiced_cents").sum())
    by_employee = reimbursed.group_by("main_organization_id", "organization_id").agg(
        pl.col("employee_payout_cents").sum())
    r_key = _ref("roaming_invoice:emsp:", "emsp_id")
    i_key = _ref("invoice:organization:", "main_organization_id")
    fee_account = (
        pl.when(pl.col("partner_id").is_null()).then(pl.lit(REVENUE_ROAMING_FEES))
        .otherwise(_ref("payable:partner:", "partner_id"))
    )
    due = pl.when(pl.col("direction") == "due_to_platform").then(1).otherwise(-1)
    key, account = pl.col("document_key"), pl.col("account")
    parts = [
        _posting(by_emsp, r_key, "session", _ref("receivable:emsp:", "emsp_id"),
                 pl.col("emsp_billed_cents")),
        _posting(by_emsp, r_key, "session", REVENUE_ROAMING_MARGIN,
                 -pl.col("platform_margin_cents")),
        _posting(by_owner, r_key, "session", _ref("payable:org:", "organization_id"),
                 -pl.col("owner_compensation_cents")),
        _posting(by_partner, r_key, "session", fee_account, -pl.col("partner_fee_cents")),
        _posting(by_main, i_key, "session", _ref("receivable:org:", "main_organization_id"),
                 pl.col("main_org_invoiced_cents")),
        _posting(by_employee, i_key, "session", _ref("payable:org:", "organization_id"),
                 -pl.col("employee_payout_cents")),
        _posting(totals, key, "subscriptions", account, pl.col("subscriptions_cents")),
        _posting(totals, key, "subscriptions", REVENUE_SUBSCRIPTIONS,
                 -pl.col("subscriptions_cents")),
        _posting(totals, key, "kickback", EXPENSE_PARTNER_KICKBACK, pl.col("kickback_cents")),
        _posting(totals, key, "kickback", account, -pl.col("kickback_cents")),
        _posting(totals, key, "vat", account, due * pl.col("vat_cents")),
        _posting(totals, key, "vat", LIABILITY_VAT, -due * pl.col("vat_cents")),
        _posting(totals, key, "payment", account, -due * pl.col("total_cents")),
        _posting(totals, key, "payment", CASH_BANK, due * pl.col("total_cents")),
    ]
    return (
        pl.concat([p.cast(JOURNAL_SCHEMA) for p in parts])
        .group_by("document_key", "step", "account")
        .agg(pl.col("amount_cents").sum())
        .filter(pl.col("amount_cents") != 0)
        .sort("document_key", "step", "account")
    )


def movements(totals: pl.LazyFrame, export_dir: Path, platform: dict) -> pl.LazyFrame:
    """One row per money movement: who pays whom how much for which document."""
    parties = pl.concat([
        scan(export_dir, "organizations").select(
            party_kind=pl.lit("organization"), party_id="id", name="name", iban="iban"),
        scan(export_dir, "emsps").select(
            party_kind=pl.lit("emsp"), party_id="id", name="name", iban="iban"),
        scan(export_dir, "partners").select(
            party_kind=pl.lit("partner"), party_id="id", name="name", iban="iban"),
    ])
    ref = pl.concat_str("party_kind", pl.lit(":"), pl.col("party_id").cast(pl.String))
    platform_ref = pl.lit(f"platform:{platform['id']}")
    platform_name = pl.lit(platform["legal_name"] or platform["name"])
    due = pl.col("direction") == "due_to_platform"
    return totals.join(parties, on=["party_kind", "party_id"], how="left",
                       maintain_order="left").select(
        period=pl.lit(platform["period"]),
        document_key="document_key",
        doc_kind="doc_kind",
        direction="direction",
        payer_ref=pl.when(due).then(ref).otherwise(platform_ref),
        payer_name=pl.when(due).then(pl.col("name")).otherwise(platform_name),
        payee_ref=pl.when(due).then(platform_ref).otherwise(ref),
        payee_name=pl.when(due).then(platform_name).otherwise(pl.col("name")),
        account="account",
        counterparty_iban="iban",
        method=pl.when(pl.col("doc_kind") == "invoice").then(pl.lit("direct_debit"))
        .when(pl.col("doc_kind") == "roaming_invoice").then(pl.lit("bank_transfer"))
        .otherwise(pl.lit("credit_transfer")),
        net_cents="net_cents",
        vat_cents="vat_cents",
        amount_cents="total_cents",
        currency=pl.lit(platform["currency"]),
    )
