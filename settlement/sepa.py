"""SEPA payment files for a settled period: credit transfers (pain.001) for
payouts and direct debits (pain.008) for invoices paid by mandate.

Built with `sepaxml`, accounts checked with `schwifty`, and every file
validated against the official ISO 20022 XSD that `sepaxml` ships before it is
returned: a caller gets a file a bank accepts or an exception, never a broken
file. A party without a valid IBAN (or with an invalid BIC) raises
`InvalidBankAccount` with a sentence naming the party, so approval can be
blocked with a message finance can act on.

Versions: pain.001.001.09 and pain.008.001.08, the EPC 2019 implementation
guidelines Dutch banks accept. Amounts are integer cents throughout; sepaxml
prints them as decimals without floats. Message, payment-information and
end-to-end ids come from the caller (not sepaxml's random ones), so a file can
be traced to its period; pass `created_at` to make a regenerated file
byte-identical.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import sepaxml
import xmlschema
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

__all__ = [
    "CREDIT_TRANSFER_SCHEMA",
    "DIRECT_DEBIT_SCHEMA",
    "InvalidBankAccount",
    "InvalidPaymentFile",
    "SepaAccount",
    "SepaCollection",
    "SepaPayment",
    "SepaTransaction",
    "credit_transfer_file",
    "direct_debit_file",
    "validate_payment_file",
]

log = logging.getLogger(__name__)

CREDIT_TRANSFER_SCHEMA = "pain.001.001.09"
DIRECT_DEBIT_SCHEMA = "pain.008.001.08"
_SCHEMA_DIR = Path(sepaxml.__file__).resolve().parent / "schemas"

# SEPA ids: at most 35 characters of the restricted Latin set, no leading "/" or "//".
_SEPA_ID = re.compile(r"^(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
_SEQUENCE_TYPES = {"FRST", "RCUR", "OOFF", "FNAL"}


@dataclass(frozen=True)
class SepaAccount:
    """Our own account: the debtor of a credit transfer, the creditor of a debit."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True)
class SepaTransaction:
    """What every transaction of a file names: the other party's account, the
    amount, the end-to-end id and the remittance text."""

    name: str
    iban: str
    bic: str | None
    amount_cents: int
    end_to_end_id: str
    description: str


@dataclass(frozen=True)
class SepaPayment(SepaTransaction):
    """One credit transfer to a payee."""


@dataclass(frozen=True)
class SepaCollection(SepaTransaction):
    """One direct debit under a signed mandate. RCUR is accepted for a first
    collection too since the 2016 EPC rulebook; FRST remains possible."""

    mandate_id: str
    mandate_signed_on: date
    sequence_type: str = "RCUR"


class InvalidBankAccount(ValueError):
    """A party's IBAN or BIC is not valid; the message names the party."""


class InvalidPaymentFile(ValueError):
    """A payment or the file as a whole breaks a SEPA rule (amount, id, XSD)."""


def credit_transfer_file(*, debtor: SepaAccount, payments: Sequence[SepaPayment],
                         message_id: str, execution_date: date,
                         created_at: datetime | None = None) -> bytes:
    """pain.001: pay every payment from `debtor` on `execution_date`."""
    if not payments:
        raise InvalidPaymentFile("a credit transfer file needs at least one payment")
    _check_id("message id", message_id)
    config = {"name": debtor.name, "currency": "EUR", "batch": True,
              **_account(debtor.name, debtor.iban, debtor.bic, role="debtor account")}
    sepa = sepaxml.SepaTransfer(config, schema=CREDIT_TRANSFER_SCHEMA, clean=True)
    for p in payments:
        _check_payment(p.name, p.amount_cents, p.end_to_end_id)
        sepa.add_payment({"name": p.name, "amount": p.amount_cents,
                          "execution_date": execution_date, "description": p.description,
                          "endtoend_id": p.end_to_end_id,
                          **_account(p.name, p.iban, p.bic, role="payee")})
    return _export(sepa, CREDIT_TRANSFER_SCHEMA, message_id, created_at, payments, "payments")


def direct_debit_file(*, creditor: SepaAccount, creditor_id: str,
                      collections: Sequence[SepaCollection], message_id: str,
                      collection_date: date, created_at: datetime | None = None) -> bytes:
    """pain.008: collect every collection into `creditor`'s account on `collection_date`."""
    if not collections:
        raise InvalidPaymentFile("a direct debit file needs at least one collection")
    _check_id("message id", message_id)
    if not creditor_id_is_valid(creditor_id):
        raise InvalidBankAccount(
            f"The SEPA creditor identifier {creditor_id!r} of {creditor.name} is not valid."
        )
    config = {"name": creditor.name, "batch": True,
              "creditor_id": creditor_id.replace(" ", "").upper(), "currency": "EUR",
              **_account(creditor.name, creditor.iban, creditor.bic, role="creditor account")}
    sepa = sepaxml.SepaDD(config, schema=DIRECT_DEBIT_SCHEMA, clean=True)
    for c in collections:
        _check_payment(c.name, c.amount_cents, c.end_to_end_id)
        _check_id(f"mandate id of {c.name}", c.mandate_id)
        if c.sequence_type not in _SEQUENCE_TYPES:
            raise InvalidPaymentFile(f"The sequence type {c.sequence_type!r} of the "
                                     f"collection from {c.name} is not one of FRST/RCUR/OOFF/FNAL.")
        sepa.add_payment({"name": c.name, "amount": c.amount_cents,
                          "type": c.sequence_type, "collection_date": collection_date,
                          "mandate_id": c.mandate_id, "mandate_date": c.mandate_signed_on,
                          "description": c.description, "endtoend_id": c.end_to_end_id,
                          **_account(c.name, c.iban, c.bic, role="debtor")})
    return _export(sepa, DIRECT_DEBIT_SCHEMA, message_id, created_at, collections, "collections")


def validate_payment_file(xml: bytes, schema: str) -> None:
    """Raise `InvalidPaymentFile` unless `xml` is valid against the official XSD."""
    errors = list(_xsd(schema).iter_errors(xml.decode("utf-8")))
    if errors:
        raise InvalidPaymentFile(
            f"the {schema} file is not valid against its XSD: {errors[0].reason} "
            f"(at {errors[0].path}); {len(errors)} error(s)"
        )


def creditor_id_is_valid(creditor_id: str) -> bool:
    """SEPA creditor identifier (e.g. `NL98ZZZ999999999999`): country, ISO 7064
    mod 97-10 check digits over the national id, a business code, the national id."""
    cid = creditor_id.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", cid):
        return False
    digits = "".join(str(int(ch, 36)) for ch in cid[7:] + cid[:2] + "00")
    return 98 - int(digits) % 97 == int(cid[2:4])


@lru_cache(maxsize=4)
def _xsd(schema: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(_SCHEMA_DIR / f"{schema}.xsd")


def _export(sepa, schema: str, message_id: str, created_at: datetime | None,
            items: Sequence[SepaTransaction], noun: str) -> bytes:
    """The file with the caller's ids, valid against its XSD (or refused), logged
    with its count and total."""
    xml = _finish(sepa.export(validate=False), message_id, created_at)
    validate_payment_file(xml, schema)
    log.info("%s %s: %d %s, %d cents", schema[:8], message_id, len(items), noun,
             sum(item.amount_cents for item in items))
    return xml


def _account(name: str, iban: str | None, bic: str | None, *, role: str) -> dict[str, str]:
    """IBAN and BIC as sepaxml's keys, checked with schwifty; the BIC is derived
    from the IBAN where schwifty knows the bank, and left out otherwise (optional
    within SEPA)."""
    if not iban:
        raise InvalidBankAccount(f"{name} ({role}) has no IBAN; add one before paying out.")
    try:
        checked = IBAN(iban)
    except SchwiftyException as error:
        raise InvalidBankAccount(
            f"The IBAN {iban!r} of {name} ({role}) is not valid: {error}."
        ) from error
    if bic:
        try:
            return {"IBAN": checked.compact, "BIC": str(BIC(bic))}
        except SchwiftyException as error:
            raise InvalidBankAccount(
                f"The BIC {bic!r} of {name} ({role}) is not valid: {error}."
            ) from error
    derived = checked.bic
    return {"IBAN": checked.compact} | ({} if derived is None else {"BIC": str(derived)})


def _check_payment(name: str, amount_cents: int, end_to_end_id: str) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise InvalidPaymentFile(f"The amount for {name} must be integer cents.")
    if not 1 <= amount_cents <= 99_999_999_999:
        raise InvalidPaymentFile(
            f"The amount for {name} is {amount_cents} cents; a SEPA payment is between "
            "0.01 and 999999999.99 EUR (net negative flows are not paid this way)."
        )
    _check_id(f"end-to-end id of {name}", end_to_end_id)


def _check_id(what: str, value: str) -> None:
    if not _SEPA_ID.match(value or ""):
        raise InvalidPaymentFile(
            f"The {what} {value!r} is not a SEPA id (1-35 characters of A-Z a-z 0-9 /-?:().,'+ "
            "and space, not starting with / and without //)."
        )


def _finish(xml: bytes, message_id: str, created_at: datetime | None) -> bytes:
    """Replace sepaxml's random message and payment-information ids and its local
    creation time with the caller's id and an explicit timestamp."""
    root = ET.fromstring(xml)
    ns = root.tag.split("}")[0] + "}"
    ET.register_namespace("", ns[1:-1])
    when = (created_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    header = root.find(f"./*/{ns}GrpHdr")
    header.find(f"{ns}MsgId").text = message_id
    header.find(f"{ns}CreDtTm").text = when.isoformat(timespec="seconds")
    for n, pmt_inf_id in enumerate(root.iter(f"{ns}PmtInfId"), start=1):
        pmt_inf_id.text = f"{message_id[:30]}-{n:04d}"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                    xml_declaration=False)
