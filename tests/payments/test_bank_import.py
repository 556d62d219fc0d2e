"""The camt.053 import on its own (SQLite and PostgreSQL): the payment
provider's settlement clears `clearing:psp`, a transfer is matched only on
exact amount *and* a document number, nothing is guessed, a line that could
not be matched yet is matched on a later import, and payouts exist only for
an approved period."""

from __future__ import annotations

import pytest

from db.base import transaction, utcnow
from db.ledger import post_entry
from db.models import SettlementPeriod
from db.payments import PeriodNotApproved, open_payouts, record_psp_payment
from domain.ledger import build_entry
from domain.payments import PspPayment
from settlement.payments.camt053 import InvalidStatement, parse_camt053
from settlement.payments.sepa_files import SepaFilesProvider
from tests.payments.camt_builder import Booked, camt053
from tests.payments.helpers import balances, open_collection

IBAN = "NL91ABNA0417164300"


def _invoice(factory, number: str, org: int, cents: int) -> None:
    open_collection(factory, number, org_id=org, cents=cents,
                    method="mollie" if org == 1 else "bank_transfer")
    with transaction(factory) as s:
        post_entry(s, build_entry(f"2026-10:{number}", "invoice", [
            (f"receivable:org:{org}", cents), ("revenue:subscriptions", -cents)]),
            occurred_at=utcnow())


def test_the_providers_settlement_and_a_named_transfer_reconcile_to_zero(session_factory,
                                                                          tmp_path):
    _invoice(session_factory, "INV-2026-000201", 1, 4861)
    _invoice(session_factory, "INV-2026-000202", 1, 1000)
    _invoice(session_factory, "INV-2026-000203", 2, 1422)
    provider = SepaFilesProvider(session_factory=session_factory, out_dir=tmp_path)
    settlement = Booked("MOL-1", (4861 - 29) + (1000 - 29), None,
                        "Mollie settlement tr_a1 tr_a2", "Mollie B.V.")
    lines = [settlement,
             Booked("TR-1", 1422, None, "payment", "Somebody"),  # right amount, no number
             Booked("TR-2", 1400, None, "INV-2026-000203", "Shell"),  # number, wrong amount
             Booked("TR-3", 1422, None, "Invoice INV-2026-000203 October", "Shell")]
    early = provider.import_statement(camt053("S-1", IBAN, lines))
    # The webhooks have not come yet: the settlement cannot be matched, nothing guessed.
    assert [u.entry_ref for u in early.unmatched] == ["MOL-1", "TR-1", "TR-2"]
    assert early.matched == ("INV-2026-000203",)
    for pid, number, cents in (("tr_a1", "INV-2026-000201", 4861),
                               ("tr_a2", "INV-2026-000202", 1000)):
        with transaction(session_factory) as s:
            record_psp_payment(s, PspPayment(pid, "paid", cents, settlement_cents=cents - 29),
                               invoice_number=number)
    later = provider.import_statement(camt053("S-1", IBAN, lines))
    assert (later.new_lines, [u.entry_ref for u in later.unmatched]) == (0, ["TR-1", "TR-2"])
    assert balances(session_factory) == {"cash:bank": 4832 + 971 + 1422,
                                         "expense:psp_fees": 58,
                                         "revenue:subscriptions": -(4861 + 1000 + 1422)}
    assert provider.import_statement(camt053("S-1", IBAN, lines)).entries == 0


def test_a_statement_that_is_not_camt053_is_refused_with_a_reason():
    with pytest.raises(InvalidStatement, match="well-formed"):
        parse_camt053(b"<Document><BkToCstmrStmt>")
    with pytest.raises(InvalidStatement, match="camt.053"):
        parse_camt053(b"<Document><Other/></Document>")
    bad = camt053("S-9", IBAN, [Booked("X", 100)]).replace(b">1.00<", b">1.005<")
    with pytest.raises(InvalidStatement, match="whole number of cents"):
        parse_camt053(bad)


def test_payouts_run_only_for_an_approved_period(session_factory):
    with transaction(session_factory) as s:
        s.add(SettlementPeriod(period="2026-10", state="awaiting_approval", runs=1))
    with transaction(session_factory) as s, pytest.raises(PeriodNotApproved, match="approved"):
        open_payouts(s, "2026-10", method="pain.001", reference="file")
