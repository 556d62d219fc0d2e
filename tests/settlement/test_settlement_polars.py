"""The polars jobs against the pure rules: the same documents to the cent on the
SCENARIOS.md months and on generated months; the output schemas; the settlement
file's trial balance and control totals; the integer money expressions."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import round_half_up, vat_cents
from domain.settlement import build_period_documents
from domain.subscriptions import pro_rata_cents
from settlement import exprs as x
from settlement.facts import load_facts, write_facts
from settlement.jobs import compute_period
from settlement.settlement_file import SettlementFileError, write_settlement_file
from tests.settlement.data import generated_month, november, october

DOC = {"party_id": pl.Int64}
LINE_SCHEMAS = {
    "subscriptions": {**DOC, "customer_id": pl.Int64, "ocpp_id": pl.String,
                      "plan_name": pl.String, "monthly_fee_cents": pl.Int64,
                      "first_day": pl.Date, "last_day": pl.Date, "days": pl.Int64,
                      "days_in_month": pl.Int64, "amount_cents": pl.Int64,
                      "vat_rate_bp": pl.Int64},
    "roaming_sessions": {**DOC, "workflow_id": pl.String, "ocpp_id": pl.String,
                         "id_tag": pl.String, "started_at": pl.Datetime("us", "UTC"),
                         "stopped_at": pl.Datetime("us", "UTC"), "energy_wh": pl.Int64,
                         "amount_cents": pl.Int64, "vat_rate_bp": pl.Int64,
                         "occurred_on": pl.Date, "late": pl.Boolean},
}


def _compute(facts, tmp_path):
    return compute_period(write_facts(facts, tmp_path / facts.period))


@pytest.mark.parametrize("month", [october, november], ids=["october", "november"])
def test_polars_jobs_give_the_scenarios_documents(month, tmp_path):
    facts = month()
    computed = _compute(facts, tmp_path)
    assert computed.documents == build_period_documents(facts)
    totals = computed.totals
    assert totals["total_cents"].to_list() == [d.total_cents for d in computed.documents]
    assert totals["vat_cents"].to_list() == [d.vat_cents for d in computed.documents]


def test_october_settlement_file_reconciles_to_the_scenarios(tmp_path):
    computed = _compute(october(), tmp_path)
    result = write_settlement_file(computed, tmp_path / "file")
    c = result.control_totals
    assert (c["money_in_net_cents"], c["money_out_net_cents"]) == (4994, 2327)
    assert (c["platform_keeps_cents"], c["vat_payable_cents"]) == (2667, 560)
    assert (c["vat_collected_cents"], c["vat_self_billing_cents"]) == (941, 381)
    assert result.balanced and sum(result.trial_balance.values()) == 0
    # Every receivable and payable of the period is settled by its payments.
    assert {a: v for a, v in result.trial_balance.items()
            if a.startswith(("receivable:", "payable:")) and v} == {}
    assert result.trial_balance["revenue:subscriptions"] == -3039
    assert result.trial_balance["expense:partner_kickback"] == 608
    movements = pl.read_csv(result.paths["movements.csv"])
    assert movements.select("payer_name", "payee_name", "amount_cents").rows() == [
        ("Acme Logistics B.V.", "Energy Cloud Operations B.V.", 4188),
        ("ShellRecharge", "Energy Cloud Operations B.V.", 1747),
        ("Energy Cloud Operations B.V.", "Acme Logistics B.V.", 1252),
        ("Energy Cloud Operations B.V.", "Jan de Vries", 511),
        ("Energy Cloud Operations B.V.", "VoltPartners", 945),
    ]
    assert pl.read_parquet(result.paths["movements.parquet"]).schema["amount_cents"] == pl.Int64


@pytest.mark.parametrize("seed", range(6))
def test_pure_rules_and_polars_jobs_agree_on_a_generated_month(seed, tmp_path):
    facts = generated_month(seed, sessions=500)
    export = write_facts(facts, tmp_path / "export")
    computed = compute_period(export)
    pure = build_period_documents(load_facts(export))
    assert pure == build_period_documents(facts)  # the parquet round trip loses nothing
    assert computed.documents == pure
    kinds = {d.kind.value for d in pure}
    assert kinds == {"invoice", "roaming_invoice", "payout_statement", "profit_share_statement"}
    assert any(line.late for d in pure for line in d.lines)
    assert computed.totals["total_cents"].to_list() == [d.total_cents for d in pure]
    result = write_settlement_file(computed, tmp_path / "file")
    assert result.balanced
    assert result.control_totals["platform_keeps_cents"] == sum(
        d.net_cents * (1 if d.direction.value == "due_to_platform" else -1) for d in pure
    )


def test_line_frames_have_explicit_schemas(tmp_path):
    computed = _compute(november(), tmp_path)
    for name, schema in LINE_SCHEMAS.items():
        assert computed.lines[name].lazy().collect_schema() == pl.Schema(schema)
    for frame in computed.lines.values():
        assert frame.schema["amount_cents"] == pl.Int64
    assert computed.journal.schema["amount_cents"] == pl.Int64
    assert computed.movements.schema["amount_cents"] == pl.Int64


INTS = st.integers(min_value=-10**12, max_value=10**12)


@given(INTS, st.integers(min_value=1, max_value=10**6))
def test_integer_half_up_division_matches_the_one_rounding_rule(n, d):
    got = pl.select(x.half_up_div(pl.lit(n, pl.Int64), pl.lit(d, pl.Int64))).item()
    assert got == round_half_up(Decimal(n) / Decimal(d))


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=28, max_value=31),
       st.data())
def test_pro_rata_and_vat_expressions_match_the_domain(fee, days_in_month, data):
    days = data.draw(st.integers(min_value=0, max_value=days_in_month))
    rate_bp = data.draw(st.integers(min_value=0, max_value=10_000))
    net = data.draw(INTS)
    got = pl.select(
        pro=x.pro_rata(fee, days, days_in_month), vat=x.vat(net, rate_bp)
    ).row(0)
    assert got == (pro_rata_cents(fee, days, days_in_month),
                   vat_cents(net, Decimal(rate_bp) / 100))


def test_a_settlement_file_that_does_not_balance_is_refused(tmp_path):
    computed = _compute(october(), tmp_path)
    tampered = replace(computed, journal=computed.journal.with_columns(
        amount_cents=pl.when(pl.col("account") == "revenue:subscriptions")
        .then(pl.col("amount_cents") + 1).otherwise(pl.col("amount_cents"))))
    with pytest.raises(SettlementFileError, match="off by 1 cents"):
        write_settlement_file(tampered, tmp_path / "file")
    assert not (tmp_path / "file" / "movements.csv").exists()
