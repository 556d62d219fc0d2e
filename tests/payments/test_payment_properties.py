"""Property: however webhooks and bank statements interleave, and however
often each arrives, every payment moves the ledger exactly once per status,
the trial balance stays zero, and once everything has arrived the payment
provider's clearing account and the receivables are reconciled."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.bank_statements import import_statement_lines
from db.base import transaction, utcnow
from db.ledger import post_entry, trial_balance
from db.models import JournalEntryRow, LedgerPosting
from db.payments import record_psp_payment
from domain.bank_statement import StatementLine
from domain.ledger import build_entry
from domain.payments import PspChargeback, PspPayment
from tests.payments.helpers import open_collection

FEE = 29
# Each payment's life at the provider: pending → paid → (maybe) charged back.
LIVES = st.lists(st.sampled_from([("paid",), ("paid", "charged_back"), ("failed",)]),
                 min_size=1, max_size=3)
ACTIONS = st.lists(st.tuples(st.sampled_from(["advance", "webhook", "statement"]),
                             st.integers(0, 2)), max_size=25)


def _state(pid: str, cents: int, step: str) -> PspPayment:
    base = PspPayment(id=pid, status="pending", amount_cents=cents)
    if step == "paid":
        return replace(base, status="paid", settlement_cents=cents - FEE)
    if step == "charged_back":
        return replace(base, status="paid", settlement_cents=cents - FEE,
                       chargebacks=(PspChargeback(f"chb_{pid[3:]}", cents),))
    return replace(base, status=step)


def _keys(factory, prefix: str) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(JournalEntryRow.idempotency_key).where(
            JournalEntryRow.idempotency_key.like(f"{prefix}%"))))


def _sum(factory, account: str, prefix: str) -> int:
    with factory() as s:
        return int(s.scalar(select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0))
                            .join(JournalEntryRow, JournalEntryRow.id == LedgerPosting.entry_id)
                            .where(LedgerPosting.account == account,
                                   JournalEntryRow.idempotency_key.like(f"{prefix}%"))))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lives=LIVES, actions=ACTIONS)
def test_every_payment_moves_the_ledger_once_in_any_order(session_factory, lives, actions):
    run = uuid.uuid4().hex[:10]
    org = int(uuid.uuid4().int % 10**8) + 1000  # an account of this example only
    payments = []
    for n, life in enumerate(lives):
        pid, number, cents = f"tr_{run}{n}", f"INV-{run}-{n}", 1000 + 137 * n
        open_collection(session_factory, number, org_id=org, cents=cents)
        with transaction(session_factory) as s:
            post_entry(s, build_entry(f"inv:{run}:{n}", "invoice", [
                (f"receivable:org:{org}", cents), ("revenue:subscriptions", -cents)]),
                occurred_at=utcnow())
            record_psp_payment(s, _state(pid, cents, "pending"), invoice_number=number)
        payments.append({"id": pid, "cents": cents, "life": life, "at": -1})

    def webhook(p):
        step = p["life"][p["at"]] if p["at"] >= 0 else "pending"
        with transaction(session_factory) as s:
            record_psp_payment(s, _state(p["id"], p["cents"], step))

    def statement(p):
        if p["at"] < 0 or p["life"][0] != "paid":
            return  # the provider pays out only what was paid
        line = StatementLine(f"{p['id']}-stl", date(2026, 11, 9), p["cents"] - FEE, None,
                             f"Mollie settlement {p['id']}", "Mollie B.V.")
        with transaction(session_factory) as s:
            import_statement_lines(s, statement_id=f"S-{p['id']}", lines=[line])

    for action, i in actions:
        p = payments[i % len(payments)]
        if action == "advance":
            p["at"] = min(p["at"] + 1, len(p["life"]) - 1)
        else:
            (webhook if action == "webhook" else statement)(p)
        with session_factory() as s:
            assert sum(trial_balance(s).values()) == 0
    for p in payments:  # everything arrives in the end (some of it again)
        p["at"] = len(p["life"]) - 1
        webhook(p)
        statement(p)
        webhook(p)

    expected_receivable = 0
    for p in payments:
        keys = sorted(_keys(session_factory, f"psp:{p['id']}:"))
        paid = p["life"][0] == "paid"
        charged = "charged_back" in p["life"]
        assert keys == sorted(
            ([f"psp:{p['id']}:paid", f"psp:{p['id']}:settled"] if paid else [])
            + ([f"psp:{p['id']}:chargeback:chb_{p['id'][3:]}"] if charged else []))
        assert _sum(session_factory, "expense:psp_fees", f"psp:{p['id']}:") == (FEE if paid else 0)
        # Clearing: paid in (net of fee), paid out to the bank, a chargeback taken back.
        assert _sum(session_factory, "clearing:psp", f"psp:{p['id']}:") == (
            -p["cents"] if charged else 0)
        if charged or not paid:
            expected_receivable += p["cents"]
    with session_factory() as s:
        balances = trial_balance(s)
    assert balances.get(f"receivable:org:{org}", 0) == expected_receivable
    assert sum(balances.values()) == 0
