"""Reconciliation of a period (DOMAIN.md §8): the documents' totals equal the
ledger's movements for the period, to the cent, per account. Pure.

What each document implies per account (debit positive, credit negative):

* invoice to organization O: `receivable:org:O` + total; `revenue:subscriptions`
  − subscriptions; `liability:vat` − VAT;
* roaming invoice to eMSP E: `receivable:emsp:E` + total; `liability:vat` − VAT;
  roaming revenue − net;
* payout statement to organization P: `payable:org:P` − total; `liability:vat`
  + VAT; roaming revenue + roaming compensation;
* profit-share statement to partner Q: `payable:partner:Q` − total;
  `liability:vat` + VAT; `expense:partner_kickback` + kickback; roaming revenue
  + roaming fees;
* a credit note: as the kind it corrects, with its own (negative) amounts.

"Roaming revenue" is the platform's margin plus the default roaming fee of
customers without a partner (`revenue:roaming_margin` + `revenue:roaming_fees`):
the documents show what the eMSPs paid and what went out, not how the rest
splits between those two accounts. A mismatch names the account, the documents
behind it and the difference (ledger minus documents).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.documents import Direction, DocumentKind, IssuedDocument, LineSection
from domain.ledger import (
    EXPENSE_PARTNER_KICKBACK,
    LIABILITY_VAT,
    REVENUE_ROAMING_FEES,
    REVENUE_ROAMING_MARGIN,
    REVENUE_SUBSCRIPTIONS,
    payable_org,
    payable_partner,
    receivable_emsp,
    receivable_org,
)
from domain.money import format_cents

__all__ = ["Mismatch", "Reconciliation", "ROAMING_REVENUE", "expected_movements", "reconcile"]

ROAMING_REVENUE = f"{REVENUE_ROAMING_MARGIN}+{REVENUE_ROAMING_FEES}"


@dataclass(frozen=True)
class Mismatch:
    account: str
    documents: tuple[str, ...]  # numbers of the documents that imply the account's movement
    expected_cents: int  # from the documents
    ledger_cents: int
    difference_cents: int  # ledger minus documents

    def __str__(self) -> str:
        docs = ", ".join(self.documents) or "no document"
        return (
            f"{self.account}: ledger {self.ledger_cents} cents, documents ({docs}) "
            f"{self.expected_cents} cents, difference {self.difference_cents:+d} cents"
        )


@dataclass(frozen=True)
class Reconciliation:
    period: str
    mismatches: tuple[Mismatch, ...]
    in_cents: int  # net due to the platform (invoices, roaming invoices)
    out_cents: int  # net paid by the platform (payout and profit-share statements)
    kept_cents: int  # in − out
    vat_collected_cents: int
    vat_self_billing_cents: int
    vat_payable_cents: int
    problems: tuple[str, ...] = ()  # stored documents that fail their own checks

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.problems

    def describe(self) -> str:
        if self.ok:
            return (
                f"{self.period} reconciles: in {format_cents(self.in_cents)} = out "
                f"{format_cents(self.out_cents)} + kept {format_cents(self.kept_cents)} "
                f"(excl. VAT); VAT collected {format_cents(self.vat_collected_cents)}, on "
                f"self-billing {format_cents(self.vat_self_billing_cents)}, payable "
                f"{format_cents(self.vat_payable_cents)}"
            )
        lines = [f"{self.period} does not reconcile:"]
        lines += [f"- {m}" for m in self.mismatches] + [f"- {p}" for p in self.problems]
        return "\n".join(lines)


def _effective_kind(doc: IssuedDocument, kinds: Mapping[str, DocumentKind],
                    corrects: Mapping[str, str | None]) -> DocumentKind:
    """A credit note counts as the kind at the start of its chain (a second
    correction corrects the first credit note, which corrects the invoice)."""
    number: str | None = doc.number
    seen: set[str] = set()
    while kinds.get(number or "") is DocumentKind.CREDIT_NOTE and number not in seen:
        seen.add(number)
        number = corrects.get(number)
    corrected = kinds.get(number or "")
    if corrected is None or corrected is DocumentKind.CREDIT_NOTE:
        raise ValueError(
            f"credit note {doc.number} corrects {doc.document.corrects_number}, "
            "which is not among the period's documents"
        )
    return corrected


def expected_movements(
    documents: Sequence[IssuedDocument],
) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Per account: the cents the documents imply, and which documents imply them."""
    kinds = {d.number: d.document.kind for d in documents}
    corrects = {d.number: d.document.corrects_number for d in documents}
    amounts: dict[str, int] = defaultdict(int)
    sources: dict[str, set[str]] = defaultdict(set)

    def add(account: str, cents: int, number: str) -> None:
        amounts[account] += cents
        sources[account].add(number)

    for issued in documents:
        doc, number = issued.document, issued.number
        rid = doc.recipient.id
        kind = _effective_kind(issued, kinds, corrects)
        vat = doc.vat_cents
        if kind is DocumentKind.INVOICE:
            add(receivable_org(rid), doc.total_cents, number)
            add(REVENUE_SUBSCRIPTIONS, -doc.section_cents(LineSection.SUBSCRIPTIONS), number)
            add(LIABILITY_VAT, -vat, number)
        elif kind is DocumentKind.ROAMING_INVOICE:
            add(receivable_emsp(rid), doc.total_cents, number)
            add(LIABILITY_VAT, -vat, number)
            add(ROAMING_REVENUE, -doc.net_cents, number)
        elif kind is DocumentKind.PAYOUT_STATEMENT:
            add(payable_org(rid), -doc.total_cents, number)
            add(LIABILITY_VAT, vat, number)
            add(ROAMING_REVENUE, doc.section_cents(LineSection.ROAMING_COMPENSATION), number)
        elif kind is DocumentKind.PROFIT_SHARE_STATEMENT:
            add(payable_partner(rid), -doc.total_cents, number)
            add(LIABILITY_VAT, vat, number)
            add(EXPENSE_PARTNER_KICKBACK,
                doc.section_cents(LineSection.SUBSCRIPTION_KICKBACK), number)
            add(ROAMING_REVENUE, doc.section_cents(LineSection.ROAMING_FEES), number)
    return dict(amounts), dict(sources)


def reconcile(
    period: str,
    documents: Sequence[IssuedDocument],
    ledger: Mapping[str, int],
    *,
    problems: Sequence[str] = (),
) -> Reconciliation:
    """Compare the documents with `ledger` (per account: the period's postings,
    session entries of its sessions and its documents' entries)."""
    expected, sources = expected_movements(documents)
    actual: dict[str, int] = defaultdict(int)
    for account, cents in ledger.items():
        pooled = account in (REVENUE_ROAMING_MARGIN, REVENUE_ROAMING_FEES)
        actual[ROAMING_REVENUE if pooled else account] += cents
    mismatches = []
    for account in sorted(set(expected) | set(actual)):
        want, got = expected.get(account, 0), actual.get(account, 0)
        if want != got:
            mismatches.append(
                Mismatch(account, tuple(sorted(sources.get(account, ()))), want, got, got - want)
            )
    due = [d.document for d in documents if d.document.direction is Direction.DUE_TO_PLATFORM]
    paid = [d.document for d in documents if d.document.direction is Direction.PAID_BY_PLATFORM]
    in_cents, out_cents = sum(d.net_cents for d in due), sum(d.net_cents for d in paid)
    collected, self_billing = sum(d.vat_cents for d in due), sum(d.vat_cents for d in paid)
    return Reconciliation(
        period=period,
        mismatches=tuple(mismatches),
        in_cents=in_cents,
        out_cents=out_cents,
        kept_cents=in_cents - out_cents,
        vat_collected_cents=collected,
        vat_self_billing_cents=self_billing,
        vat_payable_cents=collected - self_billing,
        problems=tuple(problems),
    )
