"""SEPA payment files for SCENARIOS November: valid against the XSDs sepaxml
ships, control sums and counts to the cent, and refused (never broken) when a
party's bank account is not valid."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from schwifty import IBAN

from settlement.sepa import (
    CREDIT_TRANSFER_SCHEMA,
    DIRECT_DEBIT_SCHEMA,
    InvalidBankAccount,
    InvalidPaymentFile,
    SepaAccount,
    SepaCollection,
    SepaPayment,
    credit_transfer_file,
    creditor_id_is_valid,
    direct_debit_file,
    validate_payment_file,
)

# The demo world's accounts, with check digits that are valid (see the report:
# most IBANs in db/demo.py have wrong check digits).
PLATFORM = SepaAccount("Energy Cloud Operations B.V.", "NL91ABNA0417164300")
CREDITOR_ID = "NL69ZZZ123456780000"
ACME_IBAN = "NL20INGB0001234567"
JAN_IBAN = "NL66ASNB0707070707"
VOLT_IBAN = "NL44RABO0123456789"
CREATED = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)

NOVEMBER_PAYOUTS = [
    SepaPayment("Jan de Vries", JAN_IBAN, None, 840, "PAY-2026-000004",
                "Uitbetaling november 2026 PAY-2026-000004"),
    SepaPayment("Acme Logistics B.V.", ACME_IBAN, None, 1579, "PAY-2026-000005",
                "Self-billing november 2026 PAY-2026-000005"),
    SepaPayment("VoltPartners Laadoplossingen", VOLT_IBAN, "RABONL2U", 1068,
                "PAY-2026-000006", "Winstdeling november 2026 PAY-2026-000006 - CN-2026-000002"),
]
NOVEMBER_DEBITS = [
    SepaCollection("Acme Logistics B.V.", ACME_IBAN, None, 4861, "INV-2026-000003",
                   "Factuur INV-2026-000003 - creditnota CN-2026-000001", "EC-MANDATE-0002",
                   date(2026, 9, 15)),
]


def parse(xml: bytes) -> tuple[ET.Element, str]:
    root = ET.fromstring(xml)
    return root, root.tag.split("}")[0] + "}"


def validate_independently(xml: bytes, schema: str) -> None:
    """Straight against the XSD file in the sepaxml package, not through our helper."""
    path = Path(sepaxml.__file__).parent / "schemas" / f"{schema}.xsd"
    xmlschema.XMLSchema(path).validate(xml.decode())


def test_november_payouts_make_a_valid_pain_001_with_the_right_control_sum():
    xml = credit_transfer_file(debtor=PLATFORM, payments=NOVEMBER_PAYOUTS,
                               message_id="EC-2026-11-PAYOUTS", execution_date=date(2026, 12, 4),
                               created_at=CREATED)
    validate_independently(xml, CREDIT_TRANSFER_SCHEMA)
    root, ns = parse(xml)
    assert ns == "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"
    header = root.find(f"./*/{ns}GrpHdr")
    assert header.findtext(f"{ns}MsgId") == "EC-2026-11-PAYOUTS"
    assert header.findtext(f"{ns}CreDtTm") == "2026-12-02T09:30:00"
    assert header.findtext(f"{ns}NbOfTxs") == "3"
    assert Decimal(header.findtext(f"{ns}CtrlSum")) == Decimal("34.87")  # 8.40+15.79+10.68
    pmt_inf = root.findall(f"./*/{ns}PmtInf")
    assert len(pmt_inf) == 1
    assert pmt_inf[0].findtext(f"{ns}CtrlSum") == "34.87"
    assert pmt_inf[0].findtext(f"{ns}ReqdExctnDt/{ns}Dt") == "2026-12-04"
    assert pmt_inf[0].findtext(f"{ns}DbtrAcct/{ns}Id/{ns}IBAN") == "NL91ABNA0417164300"
    assert pmt_inf[0].findtext(f"{ns}DbtrAgt/{ns}FinInstnId/{ns}BICFI") == "ABNANL2A"
    txs = [
        (tx.findtext(f"{ns}Cdtr/{ns}Nm"), tx.findtext(f"{ns}CdtrAcct/{ns}Id/{ns}IBAN"),
         tx.findtext(f"{ns}CdtrAgt/{ns}FinInstnId/{ns}BICFI"), tx.findtext(f"{ns}Amt/{ns}InstdAmt"),
         tx.findtext(f"{ns}PmtId/{ns}EndToEndId"))
        for tx in root.iter(f"{ns}CdtTrfTxInf")
    ]
    assert txs == [
        ("Jan de Vries", JAN_IBAN, "ASNBNL21", "8.40", "PAY-2026-000004"),
        ("Acme Logistics B.V.", ACME_IBAN, "INGBNL2A", "15.79", "PAY-2026-000005"),
        ("VoltPartners Laadoplossingen", VOLT_IBAN, "RABONL2U", "10.68", "PAY-2026-000006"),
    ]


def test_november_collection_makes_a_valid_pain_008_with_the_mandate():
    xml = direct_debit_file(creditor=PLATFORM, creditor_id=CREDITOR_ID,
                            collections=NOVEMBER_DEBITS, message_id="EC-2026-11-DEBITS",
                            collection_date=date(2026, 12, 9), created_at=CREATED)
    validate_independently(xml, DIRECT_DEBIT_SCHEMA)
    root, ns = parse(xml)
    assert ns == "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.08}"
    header = root.find(f"./*/{ns}GrpHdr")
    assert header.findtext(f"{ns}NbOfTxs") == "1"
    assert header.findtext(f"{ns}CtrlSum") == "48.61"  # 50.79 - 2.18
    pmt_inf = root.find(f"./*/{ns}PmtInf")
    assert pmt_inf.findtext(f"{ns}ReqdColltnDt") == "2026-12-09"
    assert pmt_inf.findtext(f"{ns}PmtTpInf/{ns}SeqTp") == "RCUR"
    assert pmt_inf.findtext(f"{ns}PmtTpInf/{ns}LclInstrm/{ns}Cd") == "CORE"
    assert pmt_inf.findtext(f"{ns}CdtrAcct/{ns}Id/{ns}IBAN") == "NL91ABNA0417164300"
    assert CREDITOR_ID in [el.text for el in pmt_inf.iter(f"{ns}Id")]
    tx = pmt_inf.find(f"{ns}DrctDbtTxInf")
    assert tx.findtext(f"{ns}InstdAmt") == "48.61"
    assert tx.findtext(f"{ns}DrctDbtTx/{ns}MndtRltdInf/{ns}MndtId") == "EC-MANDATE-0002"
    assert tx.findtext(f"{ns}DrctDbtTx/{ns}MndtRltdInf/{ns}DtOfSgntr") == "2026-09-15"
    assert tx.findtext(f"{ns}DbtrAcct/{ns}Id/{ns}IBAN") == ACME_IBAN
    assert tx.findtext(f"{ns}DbtrAgt/{ns}FinInstnId/{ns}BICFI") == "INGBNL2A"


def test_the_same_input_and_timestamp_give_the_same_file():
    def build() -> bytes:
        return credit_transfer_file(debtor=PLATFORM, payments=NOVEMBER_PAYOUTS,
                                    message_id="EC-2026-11-PAYOUTS",
                                    execution_date=date(2026, 12, 4), created_at=CREATED)
    assert build() == build()


@pytest.mark.parametrize("iban", ["NL02RABO0123456789", "NL44RABO012345678", "", None,
                                  "not an iban"])
def test_a_payee_without_a_valid_iban_is_refused_by_name(iban):
    payments = [*NOVEMBER_PAYOUTS[:2],
                SepaPayment("VoltPartners Laadoplossingen", iban, None, 1068, "PAY-2026-000006",
                            "Winstdeling")]
    with pytest.raises(InvalidBankAccount, match="VoltPartners Laadoplossingen"):
        credit_transfer_file(debtor=PLATFORM, payments=payments, message_id="M1",
                             execution_date=date(2026, 12, 4))


def test_a_debtor_with_an_invalid_iban_blocks_the_direct_debit_by_name():
    bad = [SepaCollection("Acme Logistics B.V.", "NL44INGB0001234567", None, 4861, "E2E-1",
                          "Factuur", "EC-MANDATE-0002", date(2026, 9, 15))]
    with pytest.raises(InvalidBankAccount, match=r"NL44INGB0001234567.*Acme Logistics B\.V\."):
        direct_debit_file(creditor=PLATFORM, creditor_id=CREDITOR_ID, collections=bad,
                          message_id="M2", collection_date=date(2026, 12, 9))


def test_our_own_account_and_ids_are_checked_too():
    with pytest.raises(InvalidBankAccount, match="Energy Cloud Operations B.V."):
        credit_transfer_file(debtor=SepaAccount("Energy Cloud Operations B.V.",
                                                "NL90ABNA0417164300"),
                             payments=NOVEMBER_PAYOUTS, message_id="M3",
                             execution_date=date(2026, 12, 4))
    with pytest.raises(InvalidBankAccount, match="BIC 'XX' of Jan de Vries"):
        credit_transfer_file(debtor=PLATFORM, payments=[
            SepaPayment("Jan de Vries", JAN_IBAN, "XX", 840, "E2E", "x")],
            message_id="M4", execution_date=date(2026, 12, 4))
    with pytest.raises(InvalidBankAccount, match="creditor identifier"):
        direct_debit_file(creditor=PLATFORM, creditor_id="NL70ZZZ123456780000",
                          collections=NOVEMBER_DEBITS, message_id="M5",
                          collection_date=date(2026, 12, 9))
    assert creditor_id_is_valid(CREDITOR_ID) and creditor_id_is_valid("DE98ZZZ09999999999")


@pytest.mark.parametrize("amount", [0, -218, True])
def test_amounts_that_are_not_positive_cents_are_refused(amount):
    payment = SepaPayment("Jan de Vries", JAN_IBAN, None, amount, "E2E", "x")
    with pytest.raises(InvalidPaymentFile, match="Jan de Vries"):
        credit_transfer_file(debtor=PLATFORM, payments=[payment], message_id="M6",
                             execution_date=date(2026, 12, 4))


def test_ids_longer_than_sepa_allows_are_refused():
    payment = SepaPayment("Jan de Vries", JAN_IBAN, None, 840, "X" * 36, "x")
    with pytest.raises(InvalidPaymentFile, match="end-to-end id of Jan de Vries"):
        credit_transfer_file(debtor=PLATFORM, payments=[payment], message_id="M7",
                             execution_date=date(2026, 12, 4))
    with pytest.raises(InvalidPaymentFile, match="message id"):
        credit_transfer_file(debtor=PLATFORM, payments=NOVEMBER_PAYOUTS, message_id="//bad",
                             execution_date=date(2026, 12, 4))


def test_accents_and_long_descriptions_still_give_a_valid_file():
    payment = SepaPayment("Zoë Müller-Ørsted", "DE89370400440532013000", None, 1234, "E2E-ZOE",
                          "Vergoeding laadsessies € " + "é" * 200)
    xml = credit_transfer_file(debtor=PLATFORM, payments=[payment], message_id="M8",
                               execution_date=date(2026, 12, 4))
    validate_independently(xml, CREDIT_TRANSFER_SCHEMA)
    root, ns = parse(xml)
    assert root.findtext(f".//{ns}Cdtr/{ns}Nm") == "Zoe Muller-Orsted"
    assert len(root.findtext(f".//{ns}Ustrd")) <= 140


def test_the_validator_rejects_a_tampered_file():
    xml = credit_transfer_file(debtor=PLATFORM, payments=NOVEMBER_PAYOUTS, message_id="M9",
                               execution_date=date(2026, 12, 4))
    validate_payment_file(xml, CREDIT_TRANSFER_SCHEMA)
    tampered = xml.replace(b"<InstdAmt Ccy=\"EUR\">8.40<", b"<InstdAmt Ccy=\"EUR\">8,40<")
    assert tampered != xml
    with pytest.raises(InvalidPaymentFile, match="not valid against its XSD"):
        validate_payment_file(tampered, CREDIT_TRANSFER_SCHEMA)


def test_first_and_recurring_collections_go_in_separate_batches_with_their_own_sums():
    first = SepaCollection("Parkeergarage Centrum B.V.", "NL80TRIO0123123123", None, 12345,
                           "INV-2026-000011", "Factuur INV-2026-000011", "EC-MANDATE-0003",
                           date(2026, 11, 20), sequence_type="FRST")
    xml = direct_debit_file(creditor=PLATFORM, creditor_id=CREDITOR_ID,
                            collections=[*NOVEMBER_DEBITS, first], message_id="EC-2026-11-DD",
                            collection_date=date(2026, 12, 9))
    validate_independently(xml, DIRECT_DEBIT_SCHEMA)
    root, ns = parse(xml)
    batches = {
        p.findtext(f"{ns}PmtTpInf/{ns}SeqTp"): (p.findtext(f"{ns}NbOfTxs"),
                                                 p.findtext(f"{ns}CtrlSum"))
        for p in root.iter(f"{ns}PmtInf")
    }
    assert batches == {"RCUR": ("1", "48.61"), "FRST": ("1", "123.45")}
    assert root.findtext(f"./*/{ns}GrpHdr/{ns}CtrlSum") == "172.06"
    assert root.findtext(f"./*/{ns}GrpHdr/{ns}NbOfTxs") == "2"
    ids = [p.text for p in root.iter(f"{ns}PmtInfId")]
    assert len(set(ids)) == 2 and all(len(i) <= 35 for i in ids)


def test_control_sum_of_many_generated_payouts_is_exact_to_the_cent():
    rng = random.Random(9)
    payments = [
        SepaPayment(f"Payee {n}", IBAN.generate("NL", bank_code="ABNA",
                                                 account_code=f"{n:010d}").compact,
                    None, rng.randint(1, 2_500_000), f"PAY-2026-{n:06d}", f"Payout {n}")
        for n in range(1, 301)
    ]
    xml = credit_transfer_file(debtor=PLATFORM, payments=payments, message_id="EC-BULK",
                               execution_date=date(2026, 12, 4))
    root, ns = parse(xml)
    total = sum(p.amount_cents for p in payments)
    assert Decimal(root.findtext(f"./*/{ns}GrpHdr/{ns}CtrlSum")) == Decimal(total) / 100
    assert root.findtext(f"./*/{ns}GrpHdr/{ns}NbOfTxs") == "300"
    amounts = [Decimal(el.text) for el in root.iter(f"{ns}InstdAmt")]
    assert amounts == [Decimal(p.amount_cents) / 100 for p in payments]
