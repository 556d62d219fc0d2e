"""The pure settlement rules on the SCENARIOS.md world: October and November
2026 to the cent, the supplementary run for October, and the period and
billable-day rules (DOMAIN.md §6, §8)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.documents import Direction, DocumentKind, IssuedDocument, LineSection
from domain.periods import Period, parse_period, period_of
from domain.settlement import build_period_documents, correction_documents
from domain.subscriptions import billable_days, pro_rata_cents
from tests.settlement.data import november, october

OCT = Period(2026, 10)
NOV = Period(2026, 11)


def _by(documents, kind, name):
    [doc] = [d for d in documents if d.kind is kind and d.recipient.name == name]
    return doc


def _flows(documents):
    """In, out and VAT payable of a period (SCENARIOS.md reconciliation)."""
    due = [d for d in documents if d.direction is Direction.DUE_TO_PLATFORM]
    paid = [d for d in documents if d.direction is Direction.PAID_BY_PLATFORM]
    money_in = sum(d.net_cents for d in due)
    money_out = sum(d.net_cents for d in paid)
    vat = sum(d.vat_cents for d in due) - sum(d.vat_cents for d in paid)
    return money_in, money_out, money_in - money_out, vat


def test_a_session_belongs_to_the_month_of_its_end_in_the_platform_zone():
    # 31 Oct 23:30 UTC is already 1 November 00:30 in Amsterdam (CET).
    assert period_of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "Europe/Amsterdam") == NOV
    assert period_of(datetime(2026, 10, 31, 22, 59, tzinfo=UTC), "Europe/Amsterdam") == OCT
    start, end = OCT.bounds_utc("Europe/Amsterdam")
    assert start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST
    assert end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET
    assert parse_period("2026-10") == OCT and str(OCT.next()) == "2026-11"
    assert str(Period(2026, 1).previous()) == "2025-12"
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period("2026-13")


def test_billable_days_count_the_first_connection_and_not_the_removal():
    assert billable_days(OCT, date(2026, 10, 11), None) == 21
    assert billable_days(NOV, date(2026, 11, 16), None) == 15
    assert billable_days(NOV, date(2026, 9, 1), date(2026, 11, 21)) == 20
    assert billable_days(NOV, None, None) == 0  # pre-approved only
    assert billable_days(NOV, date(2026, 9, 1), date(2026, 11, 1)) == 0  # removed before
    assert billable_days(OCT, date(2026, 11, 2), None) == 0  # connected later


def test_pro_rata_rounds_half_up_once_per_line():
    assert pro_rata_cents(795, 21, 31) == 539  # 5.3855
    assert pro_rata_cents(795, 14, 31) == 359  # 3.5903
    assert pro_rata_cents(1250, 20, 30) == 833
    assert pro_rata_cents(1250, 15, 30) == 625
    assert pro_rata_cents(100, 1, 8) == 13  # 12.5 → 13 (half up)


def test_october_documents_match_the_scenarios_to_the_cent():
    docs = build_period_documents(october())
    assert [(d.kind, d.recipient.name) for d in docs] == [
        (DocumentKind.INVOICE, "Acme Logistics B.V."),
        (DocumentKind.ROAMING_INVOICE, "ShellRecharge"),
        (DocumentKind.PAYOUT_STATEMENT, "Acme Logistics B.V."),
        (DocumentKind.PAYOUT_STATEMENT, "Jan de Vries"),
        (DocumentKind.PROFIT_SHARE_STATEMENT, "VoltPartners"),
    ]
    invoice = _by(docs, DocumentKind.INVOICE, "Acme Logistics B.V.")
    assert [(line.reference, line.amount_cents) for line in invoice.lines] == [
        ("ACME-DEPOT-01", 1250), ("ACME-DEPOT-02", 1250), ("ACME-HOME-001", 539),
        ("organization:2:ACME-HOME-001", 511),
    ]
    assert invoice.section_cents(LineSection.SUBSCRIPTIONS) == 3039
    assert [(v.rate, v.net_cents, v.vat_cents) for v in invoice.vat_summary] == [
        (Decimal("21"), 3039, 638), (Decimal("0"), 511, 0),
    ]
    assert invoice.total_cents == 4188
    reimbursed = invoice.lines[-1]
    assert reimbursed.quantity == Decimal("18.250") and reimbursed.unit == "kWh"
    assert invoice.branding.name == "VoltPartners Laadoplossingen"
    assert invoice.issuer.name == "Energy Cloud Operations B.V."

    roaming = _by(docs, DocumentKind.ROAMING_INVOICE, "ShellRecharge")
    assert [line.amount_cents for line in roaming.lines] == [971, 473]
    assert (roaming.net_cents, roaming.vat_cents, roaming.total_cents) == (1444, 303, 1747)
    assert roaming.branding.name == "Energy Cloud"  # an eMSP has no partner

    jan = _by(docs, DocumentKind.PAYOUT_STATEMENT, "Jan de Vries")
    assert (jan.net_cents, jan.vat_cents, jan.total_cents) == (511, 0, 511)
    owner = _by(docs, DocumentKind.PAYOUT_STATEMENT, "Acme Logistics B.V.")
    assert [line.amount_cents for line in owner.lines] == [720, 315]
    assert (owner.net_cents, owner.vat_cents, owner.total_cents) == (1035, 217, 1252)
    assert any("Self-billing" in note for note in owner.notes)

    volt = _by(docs, DocumentKind.PROFIT_SHARE_STATEMENT, "VoltPartners")
    assert volt.section_cents(LineSection.ROAMING_FEES) == 173
    [kickback] = [ln for ln in volt.lines if ln.section is LineSection.SUBSCRIPTION_KICKBACK]
    assert (kickback.amount_cents, kickback.unit_price) == (608, Decimal("30.39"))
    assert (volt.net_cents, volt.vat_cents, volt.total_cents) == (781, 164, 945)

    assert _flows(docs) == (4994, 2327, 2667, 560)


def test_november_documents_carry_the_late_session_and_mid_month_changes():
    docs = build_period_documents(november())
    invoice = _by(docs, DocumentKind.INVOICE, "Acme Logistics B.V.")
    assert [(ln.reference, ln.amount_cents) for ln in invoice.lines][:4] == [
        ("ACME-DEPOT-01", 1250), ("ACME-DEPOT-02", 833), ("ACME-DEPOT-03", 625),
        ("ACME-HOME-001", 795),
    ]
    assert (invoice.section_cents(LineSection.SUBSCRIPTIONS), invoice.total_cents) == (3503, 5079)

    shell = _by(docs, DocumentKind.ROAMING_INVOICE, "ShellRecharge")
    assert shell.total_cents == 1422
    late = [ln for ln in shell.lines if ln.late]
    assert [(ln.amount_cents, ln.occurred_on) for ln in late] == [(815, date(2026, 10, 30))]
    assert _by(docs, DocumentKind.ROAMING_INVOICE, "Vattenfall InCharge").total_cents == 774
    assert _by(docs, DocumentKind.PAYOUT_STATEMENT, "Jan de Vries").total_cents == 840
    owner = _by(docs, DocumentKind.PAYOUT_STATEMENT, "Acme Logistics B.V.")
    assert (owner.net_cents, owner.total_cents) == (1305, 1579)
    volt = _by(docs, DocumentKind.PROFIT_SHARE_STATEMENT, "VoltPartners")
    assert volt.section_cents(LineSection.ROAMING_FEES) == 218
    assert volt.section_cents(LineSection.SUBSCRIPTION_KICKBACK) == 701
    assert (volt.net_cents, volt.vat_cents, volt.total_cents) == (919, 193, 1112)
    assert any(ln.late for ln in volt.lines)  # S6's fee keeps its October date
    assert _flows(docs) == (6158, 3064, 3094, 650)


def _issue(documents):
    return [
        IssuedDocument(doc, f"DOC-2026-{n:06d}", date(2026, 11, 2), None)
        for n, doc in enumerate(documents, start=1)
    ]


def test_correcting_an_issued_october_gives_the_scenarios_credit_notes():
    issued = _issue(build_period_documents(october()))
    recomputed = build_period_documents(october(home_first_connected=date(2026, 10, 18)))
    notes = correction_documents(issued, recomputed)
    assert [(n.kind, n.recipient.name, n.corrects_number) for n in notes] == [
        (DocumentKind.CREDIT_NOTE, "Acme Logistics B.V.", "DOC-2026-000001"),
        (DocumentKind.CREDIT_NOTE, "VoltPartners", "DOC-2026-000005"),
    ]
    acme, volt = notes
    assert (acme.net_cents, acme.vat_cents, acme.total_cents) == (-180, -38, -218)
    assert acme.lines[0].quantity == Decimal(-7)  # 7 days fewer
    assert acme.direction is Direction.DUE_TO_PLATFORM
    assert (volt.net_cents, volt.vat_cents, volt.total_cents) == (-36, -8, -44)
    assert volt.direction is Direction.PAID_BY_PLATFORM
    assert acme.key == "credit_note:organization:1:DOC-2026-000001"
    assert _flows(notes) == (-180, -36, -144, -30)


def test_a_second_correction_credits_only_what_is_still_wrong():
    issued = _issue(build_period_documents(october()))
    fixed = build_period_documents(october(home_first_connected=date(2026, 10, 18)))
    first = correction_documents(issued, fixed)
    issued += [
        IssuedDocument(doc, f"CN-2026-{n:06d}", date(2026, 11, 5), None)
        for n, doc in enumerate(first, start=1)
    ]
    assert correction_documents(issued, fixed) == ()
    assert correction_documents(_issue(fixed), fixed) == ()


def test_a_second_correction_is_a_new_credit_note_of_the_latest_version():
    # October is issued, corrected in November (HOME-001 from 18 Oct), and
    # corrected again in December (from 25 Oct: 7/31 days, 7.95 × 7 / 31 =
    # 1.7952 → 1.80; was 3.59).
    issued = _issue(build_period_documents(october()))
    first = correction_documents(
        issued, build_period_documents(october(home_first_connected=date(2026, 10, 18))))
    issued += [
        IssuedDocument(doc, f"CN-2026-{n:06d}", date(2026, 11, 5), None)
        for n, doc in enumerate(first, start=1)
    ]
    later = build_period_documents(october(home_first_connected=date(2026, 10, 25)))
    second = correction_documents(issued, later)
    assert [(n.recipient.name, n.corrects_number) for n in second] == [
        ("Acme Logistics B.V.", "CN-2026-000001"), ("VoltPartners", "CN-2026-000002"),
    ]
    acme, volt = second
    assert acme.key == "credit_note:organization:1:CN-2026-000001"
    assert {d.key for d in second}.isdisjoint(d.key for d in first)
    assert (acme.net_cents, acme.vat_cents, acme.total_cents) == (-179, -38, -217)
    assert "(was EUR 3.59, now EUR 1.80)" in acme.lines[0].description
    assert acme.lines[0].quantity == Decimal(-7)
    assert acme.notes[0] == (
        "Corrects DOC-2026-000001 of 2026-11-02 as corrected by CN-2026-000001 "
        "for period 2026-10.")
    # Kickback: 20 % of 26.80 = 5.36, was 5.72 after the first correction.
    assert (volt.net_cents, volt.vat_cents, volt.total_cents) == (-36, -8, -44)

    # Issued, nothing is left to correct, so a rerun issues no third document.
    issued += [
        IssuedDocument(doc, f"CN-2026-{n:06d}", date(2026, 12, 3), None)
        for n, doc in enumerate(second, start=3)
    ]
    assert correction_documents(issued, later) == ()
    # The original's net plus its chain of credit notes is the recomputed one.
    [invoice] = [d for d in later if d.kind is DocumentKind.INVOICE]
    chain = [i.document for i in issued if i.document.recipient.name == "Acme Logistics B.V."
             and i.document.kind in (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)]
    assert sum(d.net_cents for d in chain) == invoice.net_cents
