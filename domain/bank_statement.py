"""Matching a bank statement's lines to what the platform expects to move
(pure; parsing the camt.053 is `settlement/payments/camt053.py`, posting is
`db/payments.py`).

Rules, in order, and never a guess:

1. the end-to-end id the platform put in its own pain.008 / pain.001 (a
   collection, a return of it, a payout, a returned payout), with the amount;
2. for transfers the debtor made themselves (no end-to-end id of ours): the
   exact amount *and* a document number in the remittance reference;
3. the payment provider's settlement: a credit whose reference names provider
   payment ids whose settlement amounts sum exactly to it.

Anything else is `unmatched` and listed for finance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["Match", "OpenItem", "PspItem", "StatementLine", "match_line"]

_PSP_ID = re.compile(r"\btr_[A-Za-z0-9]+\b")


@dataclass(frozen=True)
class StatementLine:
    entry_ref: str
    booking_date: date
    amount_cents: int  # credit positive (money in), debit negative
    end_to_end_id: str | None
    reference: str
    counterparty: str
    return_reason: str | None = None  # ISO 20022 return reason (AC04, MD06, AM04, …)


@dataclass(frozen=True)
class OpenItem:
    """Money the platform expects: `amount_cents` as the bank will show it
    (a collection positive, a payout negative)."""

    kind: str  # collection | payout
    key: str  # the end-to-end id (first document number of the flow)
    numbers: tuple[str, ...]
    amount_cents: int


@dataclass(frozen=True)
class PspItem:
    payment_id: str
    settlement_cents: int


@dataclass(frozen=True)
class Match:
    outcome: str  # collected | collection_returned | paid_out | payout_returned | psp | unmatched
    item: OpenItem | None = None
    psp: tuple[PspItem, ...] = ()


def match_line(line: StatementLine, items: list[OpenItem], psp: list[PspItem]) -> Match:
    by_key = {item.key: item for item in items}
    item = by_key.get(line.end_to_end_id or "")
    if item is not None:
        if line.amount_cents == item.amount_cents and not line.return_reason:
            return Match("collected" if item.kind == "collection" else "paid_out", item)
        if line.amount_cents == -item.amount_cents:  # the same money coming back
            return Match("collection_returned" if item.kind == "collection"
                         else "payout_returned", item)
        return Match("unmatched")  # our id, but not our amount: finance decides
    if line.amount_cents > 0 and not line.return_reason:
        named = [i for i in items if i.kind == "collection" and i.amount_cents == line.amount_cents
                 and any(n in line.reference for n in i.numbers)]
        if len(named) == 1:
            return Match("collected", named[0])
        ids = set(_PSP_ID.findall(line.reference))
        chosen = tuple(p for p in psp if p.payment_id in ids)
        if chosen and len(chosen) == len(ids) and sum(
                p.settlement_cents for p in chosen) == line.amount_cents:
            return Match("psp", psp=chosen)
    return Match("unmatched")
