"""Corrections of an already issued period (DOMAIN.md §8, SCENARIOS.md November
"supplementary run"): issued documents never change; the difference between what
was issued and what the period computes now becomes credit notes that reference
the original numbers.

Decisions where DOMAIN.md is silent:

* Lines are matched by (section, reference, VAT rate, late, date); a credit note
  carries one line per matched line whose amount changed (new − old, so usually
  negative), one per line that disappeared (−old) and one per new line (+new).
* A credit note corrects the original *together with* credit notes already
  issued against it, so a second correction only credits what is still wrong.
  It references the latest issued version: the original's newest credit note
  (`CN-1` corrects `INV-1`, `CN-2` corrects `CN-1`), so each credit note of a
  chain has its own number and document key, and recomputing after the last one
  finds nothing to correct.
* A recomputed document without an original (a recipient the period had no
  document for) is returned as it is: a supplementary document of the period.
* Documents that did not change produce nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from domain.documents import Document, DocumentKind, DocumentLine, IssuedDocument
from domain.money import format_cents

__all__ = ["correction_documents"]


def _line_key(line: DocumentLine) -> tuple:
    return (line.section, line.reference, line.vat_rate, line.late, line.occurred_on)


def _sum_lines(lines: Sequence[DocumentLine]) -> dict[tuple, tuple[DocumentLine, int, Decimal]]:
    """key → (a representative line, summed cents, summed quantity)."""
    result: dict[tuple, tuple[DocumentLine, int, Decimal]] = {}
    for line in lines:
        key = _line_key(line)
        if key in result:
            first, cents, qty = result[key]
            result[key] = (first, cents + line.amount_cents, qty + line.quantity)
        else:
            result[key] = (line, line.amount_cents, line.quantity)
    return result


def _difference_lines(
    number: str, old: Sequence[DocumentLine], new: Sequence[DocumentLine], currency: str
) -> tuple[DocumentLine, ...]:
    before, after = _sum_lines(old), _sum_lines(new)
    lines = []
    for key in list(before) + [k for k in after if k not in before]:
        old_line, old_cents, old_qty = before.get(key, (None, 0, Decimal(0)))
        new_line, new_cents, new_qty = after.get(key, (None, 0, Decimal(0)))
        diff = new_cents - old_cents
        if diff == 0:
            continue
        shown = new_line or old_line
        was = f"was {format_cents(old_cents, currency)}, now {format_cents(new_cents, currency)}"
        if shown.unit == "%":  # a kickback: same percent of a different base
            quantity = shown.quantity
            unit_price = (new_line.unit_price if new_line else Decimal(0)) - (
                old_line.unit_price if old_line else Decimal(0)
            )
        else:
            quantity, unit_price = new_qty - old_qty, None
        lines.append(
            replace(
                shown,
                description=f"Correction of {number}: {shown.description} ({was})",
                amount_cents=diff,
                quantity=quantity,
                unit_price=unit_price,
            )
        )
    return tuple(lines)


def _roots(original: Sequence[IssuedDocument]) -> dict[str, str]:
    """number → the number of the document at the start of its correction
    chain (a credit note may correct an earlier credit note)."""
    corrects = {
        i.number: i.document.corrects_number
        for i in original
        if i.document.kind is DocumentKind.CREDIT_NOTE
    }
    roots: dict[str, str] = {}
    for number in corrects:
        root, seen = number, {number}
        while root in corrects:
            root = corrects[root]
            if root in seen:
                raise ValueError(f"credit note {number}: its correction chain is a loop")
            seen.add(root)
        roots[number] = root
    return roots


def correction_documents(
    original: Sequence[IssuedDocument], recomputed: Sequence[Document]
) -> tuple[Document, ...]:
    """Credit notes turning the issued documents of a period into the recomputed
    ones; plus recomputed documents that have no original. Order: the originals'
    order, then the new documents in their own order."""
    bases = [i for i in original if i.document.kind is not DocumentKind.CREDIT_NOTE]
    roots = _roots(original)
    earlier_credits: dict[str, list[DocumentLine]] = {}
    corrected_already = {i.document.corrects_number for i in original}
    latest: dict[str, str] = {}  # root number → its latest version: the chain's tip
    for issued in original:
        if issued.document.kind is DocumentKind.CREDIT_NOTE:
            root = roots[issued.number]
            earlier_credits.setdefault(root, []).extend(issued.document.lines)
            if issued.number not in corrected_already:
                latest[root] = issued.number
    by_key = {doc.key: doc for doc in recomputed}
    seen: set[str] = set()
    result: list[Document] = []
    for issued in bases:
        doc = issued.document
        seen.add(doc.key)
        now = by_key.get(doc.key)
        corrected = latest.get(issued.number, issued.number)
        issued_lines = list(doc.lines) + earlier_credits.get(issued.number, [])
        lines = _difference_lines(
            corrected, issued_lines, now.lines if now else (), doc.currency
        )
        if not lines:
            continue
        source = now or doc
        result.append(
            Document(
                kind=DocumentKind.CREDIT_NOTE,
                period=doc.period,
                direction=doc.direction,
                issuer=source.issuer,
                recipient=source.recipient,
                branding=source.branding,
                lines=lines,
                currency=doc.currency,
                corrects_number=corrected,
                notes=(
                    f"Corrects {_as_corrected(issued, corrected)} for period {doc.period}.",
                    *source.notes,
                ),
            )
        )
    result.extend(doc for doc in recomputed if doc.key not in seen)
    return tuple(result)


def _as_corrected(issued: IssuedDocument, corrected: str) -> str:
    original = f"{issued.number} of {issued.issue_date.isoformat()}"
    return original if corrected == issued.number else f"{original} as corrected by {corrected}"
