"""Issuing documents in the database: gap-free numbers in the issuing
transaction, ledger postings per period and document, immutability enforced by
the database, and the reconciliation of documents with the ledger (SQLite and
PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from db.base import transaction
from db.documents import (
    DocumentAlreadyIssued,
    SessionAlreadySettled,
    issue_documents,
    period_documents,
    record_pdf,
)
from db.models import IssuedDocumentRow, JournalEntryRow, LedgerPosting
from db.settlement_periods import advance, reconcile_period, reject
from domain.settlement import build_period_documents
from domain.settlement_corrections import correction_documents
from tests.db.helpers import ISSUE_DAY, issue_october, without_guards
from tests.settlement.data import october


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_issuing_numbers_documents_posts_their_entries_and_reconciles_to_the_cent(
    session_factory,
):
    issued, _, _ = issue_october(session_factory)

    assert [d.number for d in issued] == [
        "INV-2026-000001", "INV-2026-000002", "SB-2026-000001", "SB-2026-000002",
        "SB-2026-000003",
    ]
    assert [d.document.total_cents for d in issued] == [4188, 1747, 1252, 511, 945]
    assert all(d.due_date > d.issue_date for d in issued)
    with session_factory() as s:
        result = reconcile_period(s, "2026-10")
    assert result.ok, result.describe()
    assert (result.in_cents, result.out_cents, result.kept_cents) == (4994, 2327, 2667)
    assert (result.vat_collected_cents, result.vat_self_billing_cents) == (941, 381)
    assert result.vat_payable_cents == 560


def test_reissuing_the_same_period_returns_the_documents_without_new_numbers_or_postings(
    session_factory,
):
    first, docs, sessions = issue_october(session_factory)
    entries = _count(session_factory, JournalEntryRow)

    again = issue_documents(session_factory, period="2026-10", documents=docs,
                            issue_date=date(2026, 11, 3), sessions=sessions)

    assert again == first
    assert _count(session_factory, JournalEntryRow) == entries
    assert _count(session_factory, IssuedDocumentRow) == 5


def test_the_same_document_key_with_other_content_is_refused(session_factory):
    _, docs, _ = issue_october(session_factory)
    changed = replace(docs[0], lines=docs[0].lines[:-1])
    with pytest.raises(DocumentAlreadyIssued, match="credit note"):
        issue_documents(session_factory, period="2026-10", documents=[changed],
                        issue_date=ISSUE_DAY)


def test_a_session_settled_into_one_period_is_refused_by_another(session_factory):
    _, _, sessions = issue_october(session_factory)
    with pytest.raises(SessionAlreadySettled, match="already settled into 2026-10"):
        issue_documents(session_factory, period="2026-11", documents=[],
                        issue_date=ISSUE_DAY, sessions=sessions[:1])


def test_numbers_are_gap_free_and_unique_under_parallel_issuing(session_factory):
    template = build_period_documents(october())[1]  # the roaming invoice
    periods = [f"2025-{m:02d}" for m in range(1, 13)]
    errors = []

    def issue(period):
        try:
            issue_documents(session_factory, period=period,
                            documents=[replace(template, period=period)], issue_date=ISSUE_DAY)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(p,)) for p in periods * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_factory() as s:
        numbers = sorted(s.scalars(select(IssuedDocumentRow.number)))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 13)]


def test_the_database_refuses_to_change_or_delete_an_issued_document(session_factory):
    issued, _, _ = issue_october(session_factory)
    number = issued[0].number
    for statement in (
        update(IssuedDocumentRow).where(IssuedDocumentRow.number == number)
        .values(total_cents=1, net_cents=1, vat_cents=0),
        update(IssuedDocumentRow).where(IssuedDocumentRow.number == number)
        .values(recipient_name="Someone else"),
        IssuedDocumentRow.__table__.delete().where(IssuedDocumentRow.number == number),
    ):
        with pytest.raises(DBAPIError, match="immutable"), transaction(session_factory) as s:
            s.execute(statement)

    record_pdf(session_factory, number=number, path="/tmp/a.pdf", sha256="ab" * 32)
    record_pdf(session_factory, number=number, path="/tmp/a.pdf", sha256="ab" * 32)
    with pytest.raises(DocumentAlreadyIssued, match="already rendered"):
        record_pdf(session_factory, number=number, path="/tmp/b.pdf", sha256="cd" * 32)
    with pytest.raises(DBAPIError, match="immutable"), transaction(session_factory) as s:
        s.execute(update(IssuedDocumentRow).where(IssuedDocumentRow.number == number)
                  .values(pdf_sha256="cd" * 32))


def test_a_tampered_document_blocks_the_reconciliation(session_factory):
    issued, _, _ = issue_october(session_factory)
    without_guards(
        session_factory, "issued_documents", ["issued_document_immutable"],
        "issued_document_guard",
        update(IssuedDocumentRow).where(IssuedDocumentRow.number == issued[0].number)
        .values(net_cents=3000, vat_cents=0, total_cents=3000),
    )
    with session_factory() as s:
        result = reconcile_period(s, "2026-10")
    assert not result.ok
    assert "INV-2026-000001: stored totals 3000/0/3000 differ" in result.describe()


def test_a_tampered_posting_blocks_the_reconciliation_naming_account_and_document(
    session_factory,
):
    issue_october(session_factory)
    with session_factory() as s:
        posting_id = s.scalar(
            select(LedgerPosting.id)
            .join(JournalEntryRow, JournalEntryRow.id == LedgerPosting.entry_id)
            .where(JournalEntryRow.idempotency_key == "2026-10:roaming_invoice:emsp:1:vat",
                   LedgerPosting.account == "receivable:emsp:1")
        )
    without_guards(
        session_factory, "ledger_postings", ["ledger_posting_update"], "ledger_posting_guard",
        update(LedgerPosting).where(LedgerPosting.id == posting_id).values(amount_cents=300),
    )
    with session_factory() as s:
        result = reconcile_period(s, "2026-10")
    by_account = {m.account: m for m in result.mismatches}
    mismatch = by_account["receivable:emsp:1"]
    assert mismatch.documents == ("INV-2026-000002",)
    assert (mismatch.expected_cents, mismatch.ledger_cents, mismatch.difference_cents) == (
        1747, 1744, -3)


def test_credit_notes_post_proportional_reversals_and_still_reconcile(session_factory):
    issued, _, _ = issue_october(session_factory)
    fixed = build_period_documents(october(home_first_connected=date(2026, 10, 18)))
    notes = correction_documents(issued, fixed)
    credited = issue_documents(session_factory, period="2026-10", documents=notes,
                               issue_date=date(2026, 11, 5))
    assert [(c.number, c.document.corrects_number, c.document.total_cents) for c in credited] == [
        ("CN-2026-000001", "INV-2026-000001", -218), ("CN-2026-000002", "SB-2026-000003", -44)]
    with session_factory() as s:
        result = reconcile_period(s, "2026-10")
        assert len(period_documents(s, "2026-10")) == 7
    assert result.ok, result.describe()
    assert (result.in_cents, result.out_cents, result.vat_payable_cents) == (
        4994 - 180, 2327 - 36, 560 - 30)


def test_a_second_correction_issues_a_credit_note_of_the_first_and_a_rerun_issues_nothing(
    session_factory,
):
    issued, _, _ = issue_october(session_factory)
    first = correction_documents(
        issued, build_period_documents(october(home_first_connected=date(2026, 10, 18))))
    issue_documents(session_factory, period="2026-10", documents=first,
                    issue_date=date(2026, 11, 5))
    later = build_period_documents(october(home_first_connected=date(2026, 10, 25)))
    with session_factory() as s:
        second = correction_documents(period_documents(s, "2026-10"), later)
    credited = issue_documents(session_factory, period="2026-10", documents=second,
                               issue_date=date(2026, 12, 3))
    assert [(c.number, c.document.corrects_number, c.document.total_cents) for c in credited] == [
        ("CN-2026-000003", "CN-2026-000001", -217), ("CN-2026-000004", "CN-2026-000002", -44)]
    entries = _count(session_factory, JournalEntryRow)

    # The same run again (a retried activity) returns the same documents.
    again = issue_documents(session_factory, period="2026-10", documents=second,
                            issue_date=date(2026, 12, 3))
    assert [c.number for c in again] == ["CN-2026-000003", "CN-2026-000004"]
    with session_factory() as s:
        assert correction_documents(period_documents(s, "2026-10"), later) == ()
        assert len(period_documents(s, "2026-10")) == 9
        result = reconcile_period(s, "2026-10")
    assert _count(session_factory, JournalEntryRow) == entries
    assert result.ok, result.describe()
    assert (result.in_cents, result.out_cents, result.vat_payable_cents) == (
        4994 - 180 - 179, 2327 - 36 - 36, 560 - 30 - 30)


def test_the_period_state_machine_moves_one_step_at_a_time_and_back_on_rejection(
    session_factory,
):
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with transaction(session_factory) as s:
        for state in ("computed", "issued", "awaiting_approval"):
            advance(s, "2026-10", state)
        advance(s, "2026-10", "computed")  # a retried earlier step changes nothing
        with pytest.raises(ValueError, match="cannot become settled before approved"):
            advance(s, "2026-10", "settled")
        reject(s, "2026-10", by="finance@energycloud.example", reason="wrong date", at=at)
        row = advance(s, "2026-10", "issued")
        assert (row.state, row.runs, row.rejection_reason) == ("issued", 2, "wrong date")
