"""Money that moves after settlement (DOMAIN.md §7–8): what a payment
provider's payment, a bank statement line and a dunning step mean for the
ledger. Pure: no I/O, no clock.

The ledger follows the provider's *state*, never a webhook's story: a payment's
entries are derived from what the provider says now (`PspPayment`), each with a
key per payment and status (`psp:<payment id>:paid`, `…:chargeback:<id>`,
`psp:refund:<id>`). However often and in whatever order the webhooks arrive,
posting `psp_entries(state)` again is a no-op for what was posted already and
adds only what is new — which is why replays and out-of-order webhooks cannot
move money twice.

Accounts:

* paid: Dr `clearing:psp` (what the provider will pay out), Dr
  `expense:psp_fees` (its fee, when it reports the settlement amount), Cr the
  invoice's receivable;
* charged back: Dr the receivable (the customer owes it again), Cr
  `clearing:psp` (the provider takes it back);
* refunded (a credit note paid back through the provider): Dr the receivable
  (the credit note had credited it), Cr `clearing:psp`;
* the provider's settlement arriving in the bank: Dr `cash:bank`, Cr
  `clearing:psp` (`psp_payout_entry`, key per payment).

Failed, expired and canceled payments move no money and have no entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.ledger import CASH_BANK, CLEARING_PSP, EXPENSE_PSP_FEES, EntryKind, JournalEntry
from domain.ledger.entries import build_entry

__all__ = [
    "DunningPolicy",
    "DunningStep",
    "PaymentMethod",
    "PspChargeback",
    "PspPayment",
    "PspRefund",
    "PAID_STATES",
    "bank_entry",
    "dunning_step",
    "psp_entries",
    "psp_payout_entry",
]


class PaymentMethod(StrEnum):
    """How an organization pays its invoices (a column per organization)."""

    SEPA_MANDATE = "sepa_mandate"  # pain.008 direct debit from our own files
    MOLLIE = "mollie"  # first + recurring payments through Mollie
    BANK_TRANSFER = "bank_transfer"  # they transfer; matched from the camt.053


# Mollie's payment statuses: open, pending, authorized, paid, canceled, expired, failed.
PAID_STATES = frozenset({"paid"})
FINAL_UNPAID_STATES = frozenset({"failed", "expired", "canceled"})


@dataclass(frozen=True)
class PspChargeback:
    id: str
    amount_cents: int


@dataclass(frozen=True)
class PspRefund:
    id: str
    amount_cents: int
    status: str  # queued, pending, processing, refunded, failed, canceled


@dataclass(frozen=True)
class PspPayment:
    """A provider payment as the provider reports it now."""

    id: str
    status: str
    amount_cents: int
    settlement_cents: int | None = None  # amount minus the provider's fee, once known
    chargebacks: tuple[PspChargeback, ...] = ()
    refunds: tuple[PspRefund, ...] = ()
    sequence_type: str = "oneoff"
    currency: str = "EUR"

    @property
    def was_paid(self) -> bool:
        # A charged back or refunded payment stays "paid" at Mollie; a chargeback
        # on a payment we never saw paid still proves it was paid first.
        return self.status in PAID_STATES or bool(self.chargebacks)

    @property
    def fee_cents(self) -> int:
        if self.settlement_cents is None:
            return 0
        return self.amount_cents - self.settlement_cents


def psp_entries(payment: PspPayment, *, receivable: str) -> list[JournalEntry]:
    """Every entry the provider's current state of `payment` implies."""
    entries: list[JournalEntry | None] = []
    key = f"psp:{payment.id}"
    if payment.was_paid:
        fee = payment.fee_cents
        entries.append(build_entry(
            f"{key}:paid", f"payment {payment.id} paid",
            [(CLEARING_PSP, payment.amount_cents - fee), (EXPENSE_PSP_FEES, fee),
             (receivable, -payment.amount_cents)],
            kind=EntryKind.COLLECTION, currency=payment.currency,
        ))
    for chargeback in payment.chargebacks:
        entries.append(build_entry(
            f"{key}:chargeback:{chargeback.id}", f"payment {payment.id} charged back",
            [(receivable, chargeback.amount_cents), (CLEARING_PSP, -chargeback.amount_cents)],
            kind=EntryKind.COLLECTION, currency=payment.currency,
        ))
    for refund in payment.refunds:
        if refund.status != "refunded":
            continue  # queued/pending refunds can still be canceled: no money moved yet
        entries.append(build_entry(
            f"psp:refund:{refund.id}", f"refund {refund.id} of payment {payment.id}",
            [(receivable, refund.amount_cents), (CLEARING_PSP, -refund.amount_cents)],
            kind=EntryKind.COLLECTION, currency=payment.currency,
        ))
    return [e for e in entries if e is not None]


def psp_payout_entry(*, payment_id: str, settlement_cents: int, reference: str,
                     currency: str = "EUR") -> JournalEntry | None:
    """The provider paid `payment_id`'s settlement amount into the bank."""
    return build_entry(
        f"psp:{payment_id}:settled", f"provider settlement {reference} for {payment_id}",
        [(CASH_BANK, settlement_cents), (CLEARING_PSP, -settlement_cents)],
        kind=EntryKind.PSP_SETTLEMENT, currency=currency,
    )


def bank_entry(*, key: str, description: str, account: str, amount_cents: int,
               kind: str = EntryKind.COLLECTION, currency: str = "EUR") -> JournalEntry | None:
    """A bank statement line against a receivable or payable: `amount_cents` is
    signed as the bank sees it (credit positive: money in)."""
    return build_entry(key, description, [(CASH_BANK, amount_cents), (account, -amount_cents)],
                       kind=kind, currency=currency)


class DunningStep(StrEnum):
    RETRY = "retry"  # collect again after `retry_after_s`
    REMIND = "remind"  # send a reminder, wait `reminder_after_s`
    FLAG = "flag"  # give up: finance takes over


@dataclass(frozen=True)
class DunningPolicy:
    """What happens after a failed or charged-back direct debit, as data: retry
    `retries` times after `retry_after_s`, then send `reminders` reminders
    `reminder_after_s` apart, then flag the invoice to finance."""

    retry_after_s: int = 5 * 86400
    retries: int = 1
    reminder_after_s: int = 7 * 86400
    reminders: int = 1

    def steps(self) -> tuple[DunningStep, ...]:
        return ((DunningStep.RETRY,) * self.retries + (DunningStep.REMIND,) * self.reminders
                + (DunningStep.FLAG,))


def dunning_step(policy: DunningPolicy, failures: int) -> tuple[DunningStep, int]:
    """The step after the `failures`-th failure (1-based) and how long to wait before it."""
    steps = policy.steps()
    step = steps[min(failures, len(steps)) - 1]
    wait = {DunningStep.RETRY: policy.retry_after_s, DunningStep.REMIND: policy.reminder_after_s,
            DunningStep.FLAG: 0}[step]
    return step, wait
