"""The period's documents with polars lazy frames: the fast, vectorized twin of
`domain.settlement.build_period_documents` (tests prove both give the same
documents to the cent).

Every job is a lazy frame of document lines in `Int64` cents (one frame per line
kind, its columns the keyword arguments of that kind's constructor in
`domain/settlement_lines.py`, plus the document it belongs to); totals, VAT per
rate, the journal and the money movements derive from per-session sums
computed in the same pass (see `compute_period` for the two collects). Turning
line rows into `Document`s happens on first access of
`PeriodComputation.documents`.
Totals are summed from the sessions again (not from the lines), so comparing
them with the documents' own totals checks one against the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from domain.documents import Document, DocumentKind, PartyKind
from domain.periods import Period, parse_period
from domain.settlement_lines import (
    group_lines,
    kickback_line,
    rate_from_basis_points,
    reimbursed_energy_line,
    reimbursement_line,
    roaming_compensation_line,
    roaming_fees_line,
    roaming_session_line,
    subscription_line,
)
from domain.settlement_parties import assemble_documents
from settlement import exprs as x
from settlement.facts import load_parties
from settlement.journal import document_totals, journal, movements, session_sums
from settlement.schemas import scan

__all__ = ["FRAME_DOCS", "LINE_BUILDERS", "PeriodComputation", "compute_period", "line_frames"]

INVOICE, ROAMING = DocumentKind.INVOICE.value, DocumentKind.ROAMING_INVOICE.value
PAYOUT, PROFIT = DocumentKind.PAYOUT_STATEMENT.value, DocumentKind.PROFIT_SHARE_STATEMENT.value
ORG, EMSP, PARTNER = PartyKind.ORGANIZATION.value, PartyKind.EMSP.value, PartyKind.PARTNER.value
# Which document each line kind goes on: (document kind, recipient kind); the
# frames carry the recipient's id as `party_id`.
FRAME_DOCS = {
    "subscriptions": (INVOICE, ORG),
    "kickbacks": (PROFIT, PARTNER),
    "reimbursed_energy": (INVOICE, ORG),
    "roaming_sessions": (ROAMING, EMSP),
    "reimbursements": (PAYOUT, ORG),
    "roaming_compensation": (PAYOUT, ORG),
    "roaming_fees": (PROFIT, PARTNER),
}

LINE_BUILDERS = {
    "subscriptions": subscription_line,
    "kickbacks": kickback_line,
    "reimbursed_energy": reimbursed_energy_line,
    "roaming_sessions": roaming_session_line,
    "reimbursements": reimbursement_line,
    "roaming_compensation": roaming_compensation_line,
    "roaming_fees": roaming_fees_line,
}


def _party(column: str) -> list[pl.Expr]:
    return [pl.col(column).cast(pl.Int64).alias("party_id")]


def _count() -> pl.Expr:
    return pl.len().cast(pl.Int64).alias("sessions")


def line_frames(
    export_dir: Path, period: Period, time_zone: str, vat_bp: int
) -> tuple[dict[str, pl.LazyFrame], dict[str, pl.LazyFrame]]:
    """One lazy frame per line kind (see `LINE_BUILDERS`), and the frames the
    money side shares: session sums, payees' and partners' VAT rates."""
    orgs, customers, partners = (scan(export_dir, t) for t in
                                 ("organizations", "customers", "partners"))
    sessions = (
        scan(export_dir, "sessions")
        .with_columns(occurred_on=x.local_date(pl.col("stopped_at"), time_zone))
        .filter(pl.col("occurred_on") <= period.last_day)
        .with_columns(late=pl.col("occurred_on") < period.first_day)
    )
    payee_vat = orgs.select(
        organization_id="id",
        vat_rate_bp=pl.when(pl.col("vat_registered") & ~pl.col("is_private_person"))
        .then(vat_bp).otherwise(0).cast(pl.Int64),
    )
    partner_vat = partners.select(
        partner_id="id", kickback_bp="kickback_bp",
        vat_rate_bp=pl.when(pl.col("vat_registered")).then(vat_bp).otherwise(0).cast(pl.Int64),
    )
    names = customers.select(customer_id="id", customer_name="name", partner_id="partner_id")

    subscriptions = (
        scan(export_dir, "charging_points")
        .filter(pl.col("first_connected_on").is_not_null())
        .join(scan(export_dir, "plans").select(plan_id="id", plan_name="name",
                                                monthly_fee_cents="monthly_fee_cents"),
              on="plan_id")
        .join(orgs.select(organization_id="id",
                          payer=pl.coalesce("parent_id", "id")), on="organization_id")
        .with_columns(
            first_day=x.billable_first_day(pl.col("first_connected_on"), period.first_day),
            last_day=x.billable_last_day(pl.col("billing_ended_on"), period.last_day),
        )
        .with_columns(days=x.billable_days(pl.col("first_day"), pl.col("last_day")))
        .filter(pl.col("days") > 0)
        .with_columns(days_in_month=pl.lit(period.days, pl.Int64),
                      vat_rate_bp=pl.lit(vat_bp, pl.Int64))
        .with_columns(amount_cents=x.pro_rata(pl.col("monthly_fee_cents"), pl.col("days"),
                                              pl.col("days_in_month")))
        .select(*_party("payer"), "customer_id", "ocpp_id", "plan_name",
                "monthly_fee_cents", "first_day", "last_day", "days", "days_in_month",
                "amount_cents", "vat_rate_bp")
    )
    kickbacks = (
        subscriptions.group_by("customer_id").agg(base_cents=pl.col("amount_cents").sum())
        .join(names, on="customer_id")
        .join(partner_vat, on="partner_id")
        .filter(pl.col("kickback_bp") > 0)
        .select(*_party("partner_id"), "customer_id", "customer_name",
                percent_bp="kickback_bp", base_cents="base_cents",
                amount_cents=x.percent_of(pl.col("base_cents"), pl.col("kickback_bp")),
                vat_rate_bp="vat_rate_bp")
    )

    reimbursed = sessions.filter(pl.col("category") == "reimbursed")
    per_employee = ["main_organization_id", "organization_id", "ocpp_id"]
    reimbursed_energy = (
        pl.concat([
            reimbursed.filter(~pl.col("late")).group_by(per_employee).agg(
                energy_wh=pl.col("energy_wh").sum(), sessions=_count(),
                amount_cents=pl.col("main_org_invoiced_cents").sum(),
            ).with_columns(late=pl.lit(False), occurred_on=pl.lit(None, pl.Date),
                           workflow_id=pl.lit(None, pl.String)),
            reimbursed.filter(pl.col("late")).select(
                *per_employee, "energy_wh", sessions=pl.lit(1, pl.Int64),
                amount_cents="main_org_invoiced_cents", late="late",
                occurred_on="occurred_on", workflow_id="workflow_id",
            ),
        ])
        .join(orgs.select(organization_id="id", employee_name="name"), on="organization_id")
        .select(*_party("main_organization_id"), employee_id="organization_id",
                employee_name="employee_name", ocpp_id="ocpp_id", energy_wh="energy_wh",
                sessions="sessions", amount_cents="amount_cents", late="late",
                occurred_on="occurred_on", workflow_id="workflow_id")
    )
    reimbursements = reimbursed.select(
        *_party("organization_id"), "workflow_id", "ocpp_id", "energy_wh",
        amount_cents="employee_payout_cents", occurred_on="occurred_on", late="late",
    )

    roaming = sessions.filter(
        (pl.col("category") == "roaming") & pl.col("emsp_id").is_not_null()
    )
    roaming_sessions = roaming.select(
        *_party("emsp_id"), "workflow_id", "ocpp_id", "id_tag", "started_at",
        "stopped_at", "energy_wh", amount_cents="emsp_billed_cents",
        vat_rate_bp=pl.lit(vat_bp, pl.Int64), occurred_on="occurred_on", late="late",
    )
    roaming_compensation = roaming.join(payee_vat, on="organization_id").select(
        *_party("organization_id"), "workflow_id", "ocpp_id", "energy_wh",
        amount_cents="owner_compensation_cents", vat_rate_bp="vat_rate_bp",
        occurred_on="occurred_on", late="late",
    )
    with_partner = roaming.filter(pl.col("partner_id").is_not_null())
    roaming_fees = (
        pl.concat([
            with_partner.filter(~pl.col("late")).group_by("partner_id", "customer_id").agg(
                energy_wh=pl.col("energy_wh").sum(), sessions=_count(),
                amount_cents=pl.col("partner_fee_cents").sum(),
            ).with_columns(late=pl.lit(False), occurred_on=pl.lit(None, pl.Date),
                           workflow_id=pl.lit(None, pl.String)),
            with_partner.filter(pl.col("late")).select(
                "partner_id", "customer_id", "energy_wh", sessions=pl.lit(1, pl.Int64),
                amount_cents="partner_fee_cents", late="late", occurred_on="occurred_on",
                workflow_id="workflow_id",
            ),
        ])
        .join(names.drop("partner_id"), on="customer_id")
        .join(partner_vat.drop("kickback_bp"), on="partner_id")
        .select(*_party("partner_id"), "customer_id", "customer_name",
                "energy_wh", "sessions", "amount_cents", "vat_rate_bp", "late",
                "occurred_on", "workflow_id")
    )
    money = {"sums": session_sums(sessions), "payee_vat": payee_vat, "partner_vat": partner_vat}
    return {
        "subscriptions": subscriptions,
        "kickbacks": kickbacks,
        "reimbursed_energy": reimbursed_energy,
        "roaming_sessions": roaming_sessions,
        "reimbursements": reimbursements,
        "roaming_compensation": roaming_compensation,
        "roaming_fees": roaming_fees,
    }, money


@dataclass(frozen=True)
class PeriodComputation:
    """A computed period: its line frames, document totals, journal and money
    movements (all collected), and its documents, built on first access."""

    period: str
    export_dir: Path
    time_zone: str
    lines: dict[str, pl.DataFrame]
    totals: pl.DataFrame  # one row per document: net, VAT, total cents
    journal: pl.DataFrame  # the period's postings per document and step
    movements: pl.DataFrame  # one row per money movement (payment)

    @cached_property
    def documents(self) -> tuple[Document, ...]:
        parties = load_parties(self.export_dir)
        items = []
        for name, frame in self.lines.items():
            kind, party_kind = FRAME_DOCS[name]
            items.extend(((kind, party_kind, party), line)
                         for party, line in self._lines_of(name, frame))
        return assemble_documents(self.period, parties, group_lines(items))

    def _lines_of(self, name: str, frame: pl.DataFrame):
        """(recipient id, line) per row; columns are read whole (much faster than
        row by row) and renamed to the line constructor's keywords."""
        builder = LINE_BUILDERS[name]
        frame = frame.drop("customer_id") if name == "subscriptions" else frame
        columns = {c: frame.get_column(c).to_list() for c in frame.columns}
        for bp, keyword in (("vat_rate_bp", "vat_rate"), ("percent_bp", "percent")):
            if bp in columns:
                columns[keyword] = [rate_from_basis_points(v) for v in columns.pop(bp)]
        parties = columns.pop("party_id")
        if name == "roaming_sessions":
            columns["time_zone"] = [self.time_zone] * frame.height
        keywords = tuple(columns)
        for party, values in zip(parties, zip(*columns.values(), strict=True), strict=True):
            yield party, builder(**dict(zip(keywords, values, strict=True)))


def compute_period(export_dir: Path) -> PeriodComputation:
    """Compute every document of an exported period in two jobs of one
    `collect_all` each: (1) the line frames and the session sums, the only job
    that reads the sessions; (2) from those small, collected frames: document
    totals, the journal and the money movements."""
    export_dir = Path(export_dir)
    platform = pl.read_parquet(export_dir / "platform.parquet").row(0, named=True)
    period = parse_period(platform["period"])
    frames, money = line_frames(export_dir, period, platform["time_zone"],
                                platform["vat_rate_bp"])
    names = list(frames)
    collected = pl.collect_all([*frames.values(), money["sums"], money["payee_vat"],
                                money["partner_vat"]])
    lines = dict(zip(names, collected[: len(names)], strict=True))
    sums, payee_vat, partner_vat = (frame.lazy() for frame in collected[len(names):])
    totals = document_totals(
        subscriptions=lines["subscriptions"].lazy(), kickbacks=lines["kickbacks"].lazy(),
        sums=sums, payee_vat=payee_vat, partner_vat=partner_vat,
        vat_bp=platform["vat_rate_bp"],
    )
    totals_df, journal_df, movements_df = pl.collect_all(
        [totals, journal(sums, totals), movements(totals, export_dir, platform)]
    )
    return PeriodComputation(
        period=str(period),
        export_dir=export_dir,
        time_zone=platform["time_zone"],
        lines=lines,
        totals=totals_df,
        journal=journal_df,
        movements=movements_df,
    )
