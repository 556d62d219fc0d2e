"""Reading the bank's camt.053 account statement (ISO 20022
BankToCustomerStatement, any camt.053.001.xx version): one `StatementLine`
per transaction, signed (credit positive), with the end-to-end id, the
remittance reference, the counterparty and, for a returned direct debit or
credit transfer, the ISO return reason code.

A batch entry (one booking for several transactions) gives one line per
transaction (`<entry ref>/<n>`), so each is matched on its own. Only booked
entries count; pending ones are not money yet. Amounts are parsed as
`Decimal` and must be whole cents.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.bank_statement import StatementLine

__all__ = ["BankStatement", "InvalidStatement", "parse_camt053"]


class InvalidStatement(ValueError):
    """Not a camt.053 statement this parser can read; the message says why."""


@dataclass(frozen=True)
class BankStatement:
    statement_id: str
    iban: str | None
    lines: tuple[StatementLine, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node, *path: str):
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _text(node, *path: str) -> str | None:
    found = _find(node, *path)
    return found.text.strip() if found is not None and found.text else None


def _all(node, name: str):
    return [c for c in node if _local(c.tag) == name] if node is not None else []


def _cents(text: str | None, where: str) -> int:
    value = Decimal(text or "x") if text and text.replace(".", "", 1).isdigit() else None
    if value is None or value != value.quantize(Decimal("0.01")):
        raise InvalidStatement(f"{where}: amount {text!r} is not a whole number of cents")
    return int(value * 100)


def parse_camt053(xml: bytes) -> BankStatement:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InvalidStatement(f"the statement is not well-formed XML: {exc}") from exc
    if not _local(root.tag) == "Document" or _find(root, "BkToCstmrStmt") is None:
        raise InvalidStatement("not a camt.053 statement (no Document/BkToCstmrStmt)")
    stmt = _find(root, "BkToCstmrStmt", "Stmt")
    if stmt is None:
        raise InvalidStatement("the statement has no Stmt element")
    statement_id = _text(stmt, "Id") or _text(root, "BkToCstmrStmt", "GrpHdr", "MsgId")
    if not statement_id:
        raise InvalidStatement("the statement has no id (Stmt/Id or GrpHdr/MsgId)")
    lines: list[StatementLine] = []
    for n, entry in enumerate(_all(stmt, "Ntry"), start=1):
        status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
        if status and status != "BOOK":
            continue
        ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef") or f"entry-{n}"
        sign = -1 if _text(entry, "CdtDbtInd") == "DBIT" else 1
        booked = date.fromisoformat((_text(entry, "BookgDt", "Dt")
                                     or _text(entry, "BookgDt", "DtTm") or "")[:10])
        txs = [tx for d in _all(entry, "NtryDtls") for tx in _all(d, "TxDtls")] or [None]
        for i, tx in enumerate(txs, start=1):
            amount = _text(tx, "Amt") if tx is not None and _text(tx, "Amt") else None
            if amount is None or len(txs) == 1:
                amount = _text(entry, "Amt")
            tx_sign = sign
            if tx is not None and _text(tx, "CdtDbtInd"):
                tx_sign = -1 if _text(tx, "CdtDbtInd") == "DBIT" else 1
            party = "Dbtr" if tx_sign > 0 else "Cdtr"
            reference = " ".join(
                u.text.strip() for u in _all(_find(tx, "RmtInf"), "Ustrd") if u.text) if tx else ""
            e2e = _text(tx, "Refs", "EndToEndId")
            lines.append(StatementLine(
                entry_ref=ref if len(txs) == 1 else f"{ref}/{i}",
                booking_date=booked,
                amount_cents=tx_sign * _cents(amount, f"entry {ref}"),
                end_to_end_id=None if e2e in (None, "NOTPROVIDED") else e2e,
                reference=reference,
                counterparty=(_text(tx, "RltdPties", party, "Nm")
                              or _text(tx, "RltdPties", party, "Pty", "Nm") or ""),
                return_reason=_text(tx, "RtrInf", "Rsn", "Cd"),
            ))
    iban = _text(stmt, "Acct", "Id", "IBAN")
    return BankStatement(statement_id, iban, tuple(lines))
