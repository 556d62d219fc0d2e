"""Double-entry rules, pure (DOMAIN.md §7, SCENARIOS.md October)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import Category
from domain.ledger import (
    CASH_BANK,
    EXPENSE_PARTNER_KICKBACK,
    LIABILITY_VAT,
    REVENUE_ROAMING_FEES,
    REVENUE_ROAMING_MARGIN,
    REVENUE_SUBSCRIPTIONS,
    EntryKind,
    JournalEntry,
    LedgerError,
    Posting,
    balances,
    collection_entry,
    partner_kickback_entry,
    payable_org,
    payable_partner,
    payout_entry,
    psp_settlement_entry,
    receivable_emsp,
    receivable_org,
    reversal_entry,
    sales_vat_entry,
    self_billing_vat_entry,
    session_entry,
    subscription_invoice_entry,
)
from domain.money import vat_cents
from domain.split import split_session
from tests.domain.helpers import split_sessions

ACME, JAN, VOLT, SHELL = 1, 2, 7, 9
S1 = split_session(Category.REIMBURSED, 18_250, 0, Decimal("0.28"), Decimal("0.05"))
S2 = split_session(Category.ROAMING, 24_000, 971, Decimal("0.30"), Decimal("0.05"))
S3 = split_session(Category.FREE, 10_000, 0, Decimal("0.30"), Decimal("0.05"))
S4 = split_session(Category.ROAMING, 10_500, 473, Decimal("0.30"), Decimal("0.05"))
S5 = split_session(Category.REJECTED, 0, 0, Decimal("0.30"), Decimal("0.05"))


def pairs(entry: JournalEntry) -> set[tuple[str, int]]:
    return {(p.account, p.amount_cents) for p in entry.postings}


# The entry itself


def test_entry_refuses_postings_that_do_not_sum_to_zero():
    with pytest.raises(LedgerError, match="sum to 1"):
        JournalEntry("k", "d", (Posting("cash:bank", 101), Posting("revenue:x", -100)))


def test_entry_refuses_fewer_than_two_postings():
    with pytest.raises(LedgerError, match="at least two"):
        JournalEntry("k", "d", ())


@pytest.mark.parametrize("amount", [1.5, Decimal("1"), "1", True, None])
def test_posting_refuses_amounts_that_are_not_int_cents(amount):
    with pytest.raises(LedgerError, match="int cents"):
        Posting("cash:bank", amount)


@pytest.mark.parametrize("account", ["", "cash", "Cash:bank", "cash:", "cash: bank", 12])
def test_posting_refuses_malformed_account_names(account):
    with pytest.raises(LedgerError, match="account"):
        Posting(account, 1)


def test_posting_refuses_zero_amounts():
    with pytest.raises(LedgerError, match="zero"):
        Posting("cash:bank", 0)


@pytest.mark.parametrize(("key", "currency"), [("", "EUR"), ("k" * 201, "EUR"), ("k", "eur")])
def test_entry_refuses_missing_keys_and_bad_currencies(key, currency):
    with pytest.raises(LedgerError):
        JournalEntry(key, "d", (Posting("a:b", 1), Posting("a:c", -1)), currency=currency)


def test_entry_is_immutable_and_keeps_postings_as_a_tuple():
    entry = JournalEntry("k", "d", [Posting("a:b", 1), Posting("a:c", -1)])
    assert isinstance(entry.postings, tuple)
    with pytest.raises(AttributeError):
        entry.description = "changed"  # type: ignore[misc]


def test_same_postings_ignores_order_and_description():
    a = JournalEntry("k", "one", (Posting("a:b", 1), Posting("a:c", -1)))
    b = JournalEntry("k", "two", (Posting("a:c", -1), Posting("a:b", 1)))
    c = JournalEntry("k", "one", (Posting("a:b", 2), Posting("a:c", -2)))
    assert a.same_postings(b)
    assert not a.same_postings(c)


def test_account_names_follow_the_domain_chart():
    assert receivable_org(1) == "receivable:org:1"
    assert receivable_emsp(9) == "receivable:emsp:9"
    assert payable_org(2) == "payable:org:2"
    assert payable_partner(7) == "payable:partner:7"
    with pytest.raises(LedgerError):
        payable_org(True)


# Sessions (SCENARIOS.md S1-S5)


def test_home_session_with_company_card_is_reimbursed_to_employee():  # S1
    entry = session_entry("session:ACME-HOME-001:1", S1, JAN, ACME, JAN, VOLT, None)
    assert entry.idempotency_key == "session:ACME-HOME-001:1:ledger"
    assert entry.kind == EntryKind.SESSION
    assert pairs(entry) == {("receivable:org:1", 511), ("payable:org:2", -511)}


def test_roaming_session_bills_the_emsp_and_owes_owner_partner_and_platform():  # S2
    entry = session_entry("session:ACME-DEPOT-01:2", S2, ACME, ACME, ACME, VOLT, SHELL)
    assert pairs(entry) == {
        ("receivable:emsp:9", 971),
        ("payable:org:1", -720),
        ("payable:partner:7", -120),
        (REVENUE_ROAMING_MARGIN, -131),
    }


@pytest.mark.parametrize("split", [S3, S5], ids=["free", "rejected"])
def test_free_and_rejected_sessions_post_nothing(split):
    assert session_entry("session:x:1", split, ACME, ACME, ACME, VOLT, SHELL) is None


def test_default_roaming_fee_without_partner_stays_with_the_platform():
    entry = session_entry("session:x:4", S4, ACME, ACME, ACME, None, SHELL)
    assert (REVENUE_ROAMING_FEES, -53) in pairs(entry)
    assert not any(p.account.startswith("payable:partner") for p in entry.postings)


def test_negative_margin_posts_as_a_debit_on_roaming_margin():
    split = split_session(Category.ROAMING, 20_000, 500, Decimal("0.30"), Decimal("0.05"))
    entry = session_entry("session:x:9", split, ACME, ACME, ACME, VOLT, SHELL)
    assert (REVENUE_ROAMING_MARGIN, 200) in pairs(entry)


def test_zero_margin_writes_no_zero_posting():
    split = split_session(Category.ROAMING, 10_000, 350, Decimal("0.30"), Decimal("0.05"))
    entry = session_entry("session:x:10", split, ACME, ACME, ACME, VOLT, SHELL)
    assert REVENUE_ROAMING_MARGIN not in {p.account for p in entry.postings}


def test_roaming_session_without_emsp_is_a_bug():
    with pytest.raises(LedgerError, match="eMSP"):
        session_entry("session:x:2", S2, ACME, ACME, ACME, VOLT, None)


# Documents


def test_document_keys_derive_from_period_and_document():
    entry = subscription_invoice_entry(
        period="2026-10",
        document="invoice:org:1",
        organization_id=ACME,
        net_cents=3039,
        vat_cents=638,
    )
    assert entry.idempotency_key == "2026-10:invoice:org:1:subscriptions"
    with pytest.raises(LedgerError, match="YYYY-MM"):
        payout_entry(period="2026-13", document="d", payee_account="payable:org:1", amount_cents=1)


def test_payout_and_collection_refuse_the_wrong_side_of_the_ledger():
    with pytest.raises(LedgerError):
        payout_entry(period="2026-10", document="d", payee_account=CASH_BANK, amount_cents=1)
    with pytest.raises(LedgerError):
        collection_entry(
            period="2026-10", document="d", debtor_account="payable:org:1", amount_cents=1
        )


def test_reversal_is_the_exact_opposite_with_its_own_key():
    original = session_entry("session:ACME-DEPOT-01:2", S2, ACME, ACME, ACME, VOLT, SHELL)
    reversal = reversal_entry(original, reason="duplicate CDR")
    assert reversal.idempotency_key == "session:ACME-DEPOT-01:2:ledger:reversal"
    assert all(v == 0 for v in balances([original, reversal]).values())


def october_entries() -> list[JournalEntry]:
    """Every money event of SCENARIOS.md's October, in the ledger."""
    p = "2026-10"
    entries = [
        session_entry("session:ACME-HOME-001:1", S1, JAN, ACME, JAN, VOLT, None),
        session_entry("session:ACME-DEPOT-01:2", S2, ACME, ACME, ACME, VOLT, SHELL),
        session_entry("session:ACME-DEPOT-01:3", S3, ACME, ACME, ACME, VOLT, None),
        session_entry("session:ACME-DEPOT-02:4", S4, ACME, ACME, ACME, VOLT, SHELL),
        session_entry("session:ACME-DEPOT-01:5", S5, ACME, ACME, ACME, VOLT, None),
        subscription_invoice_entry(
            period=p,
            document="invoice:org:1",
            organization_id=ACME,
            net_cents=3039,
            vat_cents=vat_cents(3039, Decimal(21)),
        ),
        sales_vat_entry(
            period=p,
            document="roaming:emsp:9",
            debtor_account=receivable_emsp(SHELL),
            vat_cents=vat_cents(971 + 473, Decimal(21)),
        ),
        self_billing_vat_entry(
            period=p,
            document="payout:org:1",
            payee_account=payable_org(ACME),
            vat_cents=vat_cents(720 + 315, Decimal(21)),
        ),
        partner_kickback_entry(
            period=p, document="profit-share:partner:7", partner_id=VOLT, kickback_cents=608
        ),
        self_billing_vat_entry(
            period=p,
            document="profit-share:partner:7",
            payee_account=payable_partner(VOLT),
            vat_cents=vat_cents(120 + 53 + 608, Decimal(21)),
        ),
        payout_entry(
            period=p, document="payout:org:2", payee_account=payable_org(JAN), amount_cents=511
        ),
        payout_entry(
            period=p, document="payout:org:1", payee_account=payable_org(ACME), amount_cents=1252
        ),
        payout_entry(
            period=p,
            document="profit-share:partner:7",
            payee_account=payable_partner(VOLT),
            amount_cents=945,
        ),
        collection_entry(
            period=p,
            document="invoice:org:1",
            debtor_account=receivable_org(ACME),
            amount_cents=4188,
            via_psp=True,
        ),
        collection_entry(
            period=p,
            document="roaming:emsp:9",
            debtor_account=receivable_emsp(SHELL),
            amount_cents=1747,
        ),
        psp_settlement_entry(period=p, document="psp:2026-10", gross_cents=4188, fee_cents=0),
    ]
    return [e for e in entries if e is not None]


def test_october_ledger_reconciles_with_the_worked_scenario():
    entries = october_entries()
    keys = [e.idempotency_key for e in entries]
    assert len(keys) == len(set(keys)) == 14  # S3 and S5 post nothing
    tb = balances(entries)
    assert sum(tb.values()) == 0
    # every receivable collected, every payee paid
    assert {a: v for a, v in tb.items() if a.startswith(("receivable:", "payable:"))} == {
        "receivable:org:1": 0,
        "receivable:emsp:9": 0,
        "payable:org:1": 0,
        "payable:org:2": 0,
        "payable:partner:7": 0,
    }
    assert tb[REVENUE_SUBSCRIPTIONS] == -3039
    assert tb[EXPENSE_PARTNER_KICKBACK] == 608
    assert tb[REVENUE_ROAMING_MARGIN] == -236  # 1.31 + 1.05
    assert tb[LIABILITY_VAT] == -560  # 9.41 collected - 3.81 on self-billing
    # the platform keeps 26.67 and holds 5.60 VAT for the tax office
    assert tb[CASH_BANK] == 2667 + 560
    assert tb["clearing:psp"] == 0


# Properties

accounts = st.sampled_from(["cash:bank", "revenue:subscriptions", "payable:org:1", "liability:vat"])
cents = st.integers(-(10**9), 10**9).filter(bool)
periods = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2020, 2040), st.integers(1, 12))
documents = st.text("abcdefghij:-0123456789", min_size=1, max_size=20)
ids = st.integers(1, 10**6)


def _doc(builder, **extra):
    return st.builds(builder, period=periods, document=documents, **extra)


built_entries = st.one_of(
    st.builds(
        session_entry,
        workflow_id=documents,
        split=split_sessions,
        owner_org_id=ids,
        main_org_id=ids,
        employee_org_id=ids,
        partner_id=st.none() | ids,
        emsp_id=ids,
    ),
    _doc(subscription_invoice_entry, organization_id=ids, net_cents=cents, vat_cents=cents),
    _doc(partner_kickback_entry, partner_id=ids, kickback_cents=cents),
    _doc(sales_vat_entry, debtor_account=ids.map(receivable_emsp), vat_cents=cents),
    _doc(self_billing_vat_entry, payee_account=ids.map(payable_org), vat_cents=cents),
    _doc(payout_entry, payee_account=ids.map(payable_partner), amount_cents=cents),
    _doc(
        collection_entry,
        debtor_account=ids.map(receivable_org),
        amount_cents=cents,
        via_psp=st.booleans(),
    ),
    _doc(psp_settlement_entry, gross_cents=cents, fee_cents=cents),
)


@given(built_entries)
def test_every_built_journal_entry_balances(entry):
    if entry is None:
        return
    assert len(entry.postings) >= 2
    assert sum(p.amount_cents for p in entry.postings) == 0
    assert all(isinstance(p.amount_cents, int) and p.amount_cents for p in entry.postings)


@given(st.lists(st.tuples(accounts, cents), min_size=1, max_size=6), cents)
def test_entry_exists_only_when_balanced(lines, offset):
    postings = tuple(Posting(a, v) for a, v in lines)
    total = sum(v for _, v in lines)
    balanced = postings + ((Posting("clearing:psp", -total),) if total else ())
    if len(balanced) >= 2:
        assert JournalEntry("k", "d", balanced)
        with pytest.raises(LedgerError):
            JournalEntry("k", "d", balanced + (Posting("cash:bank", offset),))
