"""How amounts, dates, quantities and labels read on a printed document.

Amounts and dates are formatted with Babel for the document's locale
(`€ 41,88` and `1 november 2026` in nl_NL). Labels follow the locale's
language too: Dutch for `nl*`, English for everything else, so a Dutch
finance team receives a Dutch document and an eMSP abroad an English one.
Everything here is pure: the same input gives the same text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from domain.money import CENT

__all__ = [
    "Labels",
    "format_day",
    "format_decimal_kwh",
    "format_money",
    "format_period",
    "format_quantity",
    "format_rate",
    "format_short_day",
    "format_unit_price",
    "labels_for",
    "mask_iban",
]


def format_money(cents: int, currency: str = "EUR", *, locale: str) -> str:
    """`€ 41,88` (nl_NL), `€41.88` (en_GB); cents are exact, never float."""
    return format_currency(Decimal(cents) * CENT, currency, locale=locale)


def format_day(day: date | None, *, locale: str) -> str:
    """`1 november 2026` (nl_NL), `1 November 2026` (en_GB); empty for no date."""
    return format_date(day, format="long", locale=locale) if day else ""


def format_short_day(day: date | None, *, locale: str) -> str:
    """`30-10-2026` (nl_NL): dates in a table column."""
    return format_date(day, format="short", locale=locale) if day else ""


def format_period(period: str, *, locale: str) -> str:
    """`2026-10` → `oktober 2026` (nl_NL), `October 2026` (en_GB)."""
    year, month = (int(part) for part in period.split("-"))
    return format_date(date(year, month, 1), format="LLLL yyyy", locale=locale)


def format_quantity(quantity: Decimal, unit: str, *, locale: str) -> str:
    """kWh with three decimals (`18,250 kWh`); other quantities as they are."""
    pattern = "#,##0.000" if unit == "kWh" else "#,##0.####"
    text = format_decimal(quantity, format=pattern, locale=locale)
    if locale.lower().startswith("nl"):
        unit = _NL_UNITS.get(unit, unit)
    return f"{text} {unit}".strip()


# Units the documents use, in Dutch ("kWh" and "%" read the same in both).
_NL_UNITS = {"days": "dagen", "day": "dag", "session": "sessie", "sessions": "sessies",
             "month": "maand", "months": "maanden"}


def format_decimal_kwh(quantity: Decimal, *, locale: str) -> str:
    """Energy in a kWh column: `18,250`."""
    return format_decimal(quantity, format="#,##0.000", locale=locale)


def format_unit_price(price: Decimal | None, currency: str, *, locale: str) -> str:
    """Per-unit prices keep their precision (€ 0,39 or € 0,2345), at least cents."""
    if price is None:
        return ""
    return format_currency(price, currency, format="¤ #,##0.00##", locale=locale)


def mask_iban(iban: str) -> str:
    """`NL** **** **** **12 34`: the country and the last four characters, in
    groups of four, as a direct-debit notice shows the account it debits."""
    compact = "".join(iban.split()).upper()
    masked = compact[:2] + "*" * max(len(compact) - 6, 0) + compact[2:][-4:]
    return " ".join(masked[i:i + 4] for i in range(0, len(masked), 4))


def format_rate(rate: Decimal, *, locale: str) -> str:
    """A VAT rate in percent: `21 %`, `0 %`, `9 %`."""
    return f"{format_decimal(rate, format='#,##0.##', locale=locale)} %"


class Labels(dict):
    """Printed labels by key; a missing key prints the key, so a gap is visible."""

    def __missing__(self, key: str) -> str:
        return key


_EN = {
    "invoice": "Invoice",
    "roaming_invoice": "Invoice — roaming charging sessions",
    "payout_statement": "Payout statement",
    "payout_self_billing": "Self-billing invoice — payout statement",
    "profit_share_statement": "Profit-share statement",
    "profit_share_self_billing": "Self-billing invoice — profit-share statement",
    "credit_note": "Credit note",
    "number": "Number",
    "issue_date": "Date",
    "period": "Period",
    "due_date": "Due date",
    "payment_date": "Payment date",
    "collection_date": "Collection date",
    "customer_vat": "Your VAT id",
    "from": "From",
    "to": "To",
    "vat_id": "VAT id",
    "iban": "IBAN",
    "corrects": "Corrects document",
    "date": "Date",
    "description": "Description",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "vat": "VAT",
    "amount": "Amount",
    "charging_point": "Charging point",
    "session": "Session",
    "subtotal": "Subtotal",
    "net_total": "Total excl. VAT",
    "vat_on": "VAT {rate} on {net}",
    "total_due": "Total due",
    "total_paid": "Total paid to you",
    "total_credit": "Total credited",
    "late": "late item, {date}",
    "section_subscriptions": "Subscriptions (pro rata by billable days)",
    "section_reimbursed_energy": "Reimbursed home charging",
    "section_roaming_sessions": "Charging sessions (CDR list)",
    "section_reimbursement": "Reimbursed charging sessions",
    "section_roaming_compensation": "Compensation for roaming sessions",
    "section_roaming_fees": "Roaming fees per customer",
    "section_subscription_kickback": "Subscription kickback per customer",
    "pay_to_us": "Please transfer {amount} by {due} to IBAN {iban} in the name of {name}, "
                 "quoting {number}.",
    "pay_by_direct_debit": "The amount of {amount} will be collected by SEPA direct debit from "
                           "IBAN {iban} on or after {due}, under mandate reference {mandate}. "
                           "No action is needed.",
    "pay_to_you": "We transfer {amount} on {due} to your IBAN {iban}.",
    "pay_to_you_no_iban": "We transfer {amount} on {due} as soon as we have your IBAN.",
    "credit_offset": "The credited amount of {amount} is offset against your next payment.",
    "note_private_person": "VAT 0 %: outside the scope of VAT for a private person "
                           "(passed through at cost).",
    "note_reverse_charge": "VAT reverse charged: the recipient accounts for the VAT "
                           "(Article 196, Directive 2006/112/EC).",
    "note_self_billing": "Self-billing: invoice issued by the recipient on behalf of "
                         "the supplier, as agreed.",
    "questions": "Questions about this document?",
    "page": "Page",
    "of": "of",
}

_NL = {
    "invoice": "Factuur",
    "roaming_invoice": "Factuur — roaming laadsessies",
    "payout_statement": "Uitbetalingsoverzicht",
    "payout_self_billing": "Factuur uitgereikt door afnemer — uitbetaling",
    "profit_share_statement": "Overzicht winstdeling",
    "profit_share_self_billing": "Factuur uitgereikt door afnemer — winstdeling",
    "credit_note": "Creditnota",
    "number": "Nummer",
    "issue_date": "Datum",
    "period": "Periode",
    "due_date": "Vervaldatum",
    "payment_date": "Betaaldatum",
    "collection_date": "Incassodatum",
    "customer_vat": "Uw btw-nummer",
    "from": "Van",
    "to": "Aan",
    "vat_id": "Btw-id",
    "iban": "IBAN",
    "corrects": "Corrigeert document",
    "date": "Datum",
    "description": "Omschrijving",
    "quantity": "Aantal",
    "unit_price": "Prijs",
    "vat": "Btw",
    "amount": "Bedrag",
    "charging_point": "Laadpunt",
    "session": "Sessie",
    "subtotal": "Subtotaal",
    "net_total": "Totaal excl. btw",
    "vat_on": "Btw {rate} over {net}",
    "total_due": "Te betalen",
    "total_paid": "Aan u uit te betalen",
    "total_credit": "Totaal gecrediteerd",
    "late": "nagekomen, {date}",
    "section_subscriptions": "Abonnementen (naar rato van factureerbare dagen)",
    "section_reimbursed_energy": "Vergoed thuisladen",
    "section_roaming_sessions": "Laadsessies (CDR-overzicht)",
    "section_reimbursement": "Vergoede laadsessies",
    "section_roaming_compensation": "Vergoeding voor roaming laadsessies",
    "section_roaming_fees": "Roamingvergoeding per klant",
    "section_subscription_kickback": "Abonnementsvergoeding per klant",
    "pay_to_us": "Wij verzoeken u {amount} vóór {due} over te maken op IBAN {iban} "
                 "t.n.v. {name}, o.v.v. {number}.",
    "pay_by_direct_debit": "Het bedrag van {amount} wordt op of na {due} via SEPA-incasso "
                           "afgeschreven van IBAN {iban}, onder machtigingskenmerk {mandate}. "
                           "U hoeft niets te doen.",
    "pay_to_you": "Wij maken {amount} op {due} over naar uw IBAN {iban}.",
    "pay_to_you_no_iban": "Wij maken {amount} op {due} over zodra wij uw IBAN hebben.",
    "credit_offset": "Het gecrediteerde bedrag van {amount} wordt verrekend met uw "
                     "volgende betaling.",
    "note_private_person": "Btw 0 %: buiten de reikwijdte van de btw voor een particulier "
                           "(doorbelast tegen kostprijs).",
    "note_reverse_charge": "Btw verlegd: de afnemer voldoet de btw "
                           "(artikel 196, Richtlijn 2006/112/EG).",
    "note_self_billing": "Factuur uitgereikt door afnemer (self-billing), namens de "
                         "leverancier, zoals overeengekomen.",
    "questions": "Vragen over dit document?",
    "page": "Pagina",
    "of": "van",
}


def labels_for(locale: str) -> Labels:
    """Dutch labels for a Dutch locale, English otherwise."""
    return Labels(_NL if locale.lower().startswith("nl") else _EN)
