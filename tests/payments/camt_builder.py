"""Writing a bank's camt.053.001.02 statement in tests, from the period's own
payment files (what the bank booked for each pain.008 collection and pain.001
transfer) plus lines the bank adds (a customer's own transfer, a return, the
payment provider's settlement)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


@dataclass(frozen=True)
class Booked:
    ref: str
    cents: int  # credit positive
    end_to_end_id: str | None = None
    reference: str = ""
    counterparty: str = ""
    return_reason: str | None = None
    booked_on: date = date(2026, 11, 6)


def from_payment_file(xml: bytes, *, prefix: str) -> list[Booked]:
    """One booked line per transaction of a pain.008 (credits) or pain.001 (debits)."""
    root = ET.fromstring(xml)
    ns = root.tag.split("}")[0] + "}"
    debit = "pain.001" in ns
    out = []
    tag = "CdtTrfTxInf" if debit else "DrctDbtTxInf"
    for n, tx in enumerate(root.iter(f"{ns}{tag}"), start=1):
        amount = tx.find(f"{ns}Amt/{ns}InstdAmt") if debit else tx.find(f"{ns}InstdAmt")
        party = tx.find(f"{ns}Cdtr/{ns}Nm") if debit else tx.find(f"{ns}Dbtr/{ns}Nm")
        cents = int(Decimal(amount.text) * 100)
        out.append(Booked(
            ref=f"{prefix}-{n}", cents=-cents if debit else cents,
            end_to_end_id=tx.find(f"{ns}PmtId/{ns}EndToEndId").text,
            reference=tx.find(f"{ns}RmtInf/{ns}Ustrd").text, counterparty=party.text))
    return out


def camt053(statement_id: str, iban: str, lines: list[Booked]) -> bytes:
    ET.register_namespace("", NS)
    doc = ET.Element(f"{{{NS}}}Document")
    stmt_root = _sub(doc, "BkToCstmrStmt")
    hdr = _sub(stmt_root, "GrpHdr")
    _sub(hdr, "MsgId", statement_id)
    _sub(hdr, "CreDtTm", "2026-11-07T06:00:00")
    stmt = _sub(stmt_root, "Stmt")
    _sub(stmt, "Id", statement_id)
    _sub(stmt, "CreDtTm", "2026-11-07T06:00:00")
    _sub(_sub(_sub(stmt, "Acct"), "Id"), "IBAN", iban)
    for line in lines:
        ntry = _sub(stmt, "Ntry")
        amt = _sub(ntry, "Amt", f"{Decimal(abs(line.cents)) / 100:.2f}")
        amt.set("Ccy", "EUR")
        _sub(ntry, "CdtDbtInd", "CRDT" if line.cents > 0 else "DBIT")
        if line.return_reason:
            _sub(ntry, "RvslInd", "true")
        _sub(ntry, "Sts", "BOOK")
        _sub(_sub(ntry, "BookgDt"), "Dt", line.booked_on.isoformat())
        _sub(_sub(ntry, "ValDt"), "Dt", line.booked_on.isoformat())
        _sub(ntry, "AcctSvcrRef", line.ref)
        bank_tx = _sub(ntry, "BkTxCd")
        _sub(_sub(bank_tx, "Prtry"), "Cd", "N196" if line.return_reason else "N541")
        tx = _sub(_sub(ntry, "NtryDtls"), "TxDtls")
        _sub(_sub(tx, "Refs"), "EndToEndId", line.end_to_end_id or "NOTPROVIDED")
        side = "Dbtr" if line.cents > 0 else "Cdtr"
        _sub(_sub(_sub(tx, "RltdPties"), side), "Nm", line.counterparty)
        if line.reference:
            _sub(_sub(tx, "RmtInf"), "Ustrd", line.reference)
        if line.return_reason:
            _sub(_sub(_sub(tx, "RtrInf"), "Rsn"), "Cd", line.return_reason)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(doc, encoding="utf-8")


def _sub(parent, name: str, text: str | None = None):
    el = ET.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        el.text = text
    return el
