"""The ledger in the database, on SQLite and PostgreSQL: the database itself
refuses unbalanced and changed entries, and posting is idempotent."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from db.base import Base
from db.ledger import (
    IdempotencyConflict,
    account_balance,
    entries_for_reference,
    get_entry,
    post_entry,
    trial_balance,
)
from db.models.ledger import (
    JournalEntryRow,
    LedgerPosting,
    ledger_trigger_ddl,
    ledger_trigger_drop_ddl,
)
from domain.ledger import JournalEntry, Posting, balances

OCT = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)


def entry(key: str, amount: int = 971, currency: str = "EUR") -> JournalEntry:
    return JournalEntry(
        key,
        f"roaming session {key}",
        (
            Posting("receivable:emsp:9", amount),
            Posting("payable:org:1", -720),
            Posting("revenue:roaming_margin", -(amount - 720)),
        ),
        currency=currency,
    )


def entry_count(session) -> int:
    return session.execute(select(func.count()).select_from(JournalEntryRow)).scalar_one()


# Posting and reading


def test_posted_entry_moves_balances_and_the_trial_balance_sums_to_zero(db):
    result = post_entry(db, entry("session:A:1"), occurred_at=OCT, reference="session:A:1")
    db.commit()
    assert result.created
    assert account_balance(db, "receivable:emsp:9") == 971
    assert account_balance(db, "payable:org:1") == -720
    assert account_balance(db, "cash:bank") == 0
    tb = trial_balance(db)
    assert tb == {"payable:org:1": -720, "receivable:emsp:9": 971, "revenue:roaming_margin": -251}
    assert sum(tb.values()) == 0


def test_stored_entry_reads_back_as_the_domain_entry(db):
    original = entry("session:A:1")
    post_entry(db, original, occurred_at=OCT, reference="session:A:1")
    db.commit()
    [stored] = entries_for_reference(db, "session:A:1")
    assert stored.entry.same_postings(original)
    assert stored.entry.idempotency_key == "session:A:1"
    assert stored.occurred_at == OCT
    assert stored.posted_at is not None
    assert entries_for_reference(db, "session:B:1") == []


def test_balances_are_per_currency(db):
    post_entry(db, entry("eur"), occurred_at=OCT)
    post_entry(db, entry("chf", currency="CHF"), occurred_at=OCT)
    db.commit()
    assert account_balance(db, "receivable:emsp:9") == 971
    assert account_balance(db, "receivable:emsp:9", currency="CHF") == 971
    assert trial_balance(db, currency="CHF")["receivable:emsp:9"] == 971


# Idempotency


def test_posting_the_same_key_twice_creates_one_entry(session_factory):
    with session_factory() as s:
        first = post_entry(s, entry("session:A:1"), occurred_at=OCT)
        s.commit()
    with session_factory() as s:
        second = post_entry(s, entry("session:A:1"), occurred_at=OCT)
        s.commit()
        assert first.created and not second.created
        assert first.entry_id == second.entry_id
        assert entry_count(s) == 1
        assert account_balance(s, "receivable:emsp:9") == 971


def test_posting_the_same_key_twice_in_one_transaction_creates_one_entry(db):
    assert post_entry(db, entry("k"), occurred_at=OCT).created
    assert not post_entry(db, entry("k"), occurred_at=OCT).created
    db.commit()
    assert entry_count(db) == 1


def test_same_key_with_different_postings_is_a_bug_not_a_retry(db):
    post_entry(db, entry("session:A:1"), occurred_at=OCT)
    with pytest.raises(IdempotencyConflict, match="different postings"):
        post_entry(db, entry("session:A:1", amount=1000), occurred_at=OCT)
    # the savepoint kept the transaction usable
    post_entry(db, entry("session:A:2"), occurred_at=OCT)
    db.commit()
    assert entry_count(db) == 2


def test_rolled_back_transaction_leaves_no_entry(session_factory):
    with session_factory() as s:
        post_entry(s, entry("k"), occurred_at=OCT)
        s.rollback()
    with session_factory() as s:
        assert entry_count(s) == 0
        assert get_entry(s, "k") is None


def test_two_threads_posting_the_same_key_create_one_entry(session_factory):
    for attempt in range(5):
        key = f"session:RACE:{attempt}"
        barrier = threading.Barrier(2)
        results, errors = [], []

        def post(key=key, barrier=barrier, results=results, errors=errors):
            try:
                with session_factory() as s:
                    barrier.wait(timeout=10)
                    results.append(post_entry(s, entry(key), occurred_at=OCT))
                    s.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        assert sorted(r.created for r in results) == [False, True]
        assert len({r.entry_id for r in results}) == 1
    with session_factory() as s:
        assert entry_count(s) == 5
        assert account_balance(s, "receivable:emsp:9") == 5 * 971


def test_second_poster_waits_for_the_first_and_then_finds_its_entry(session_factory):
    first = session_factory()
    assert post_entry(first, entry("session:A:1"), occurred_at=OCT).created  # not committed
    outcome = []

    def second():
        with session_factory() as s:
            outcome.append(post_entry(s, entry("session:A:1"), occurred_at=OCT))
            s.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # blocked by the first transaction's write
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert [r.created for r in outcome] == [False]
    with session_factory() as s:
        assert entry_count(s) == 1


# The database enforces the invariant, whatever the Python code does


def raw_entry(session, key: str, status: str = "open") -> int:
    return session.execute(
        text(
            "INSERT INTO journal_entries (idempotency_key, kind, description, currency,"
            " occurred_at, status) VALUES (:key, 'manual', 'raw', 'EUR', :at, :status)"
            " RETURNING id"
        ),
        {"key": key, "at": OCT, "status": status},
    ).scalar_one()


def raw_posting(session, entry_id: int, account: str, amount: int) -> None:
    session.execute(
        text("INSERT INTO ledger_postings (entry_id, account, amount_cents) VALUES (:e, :a, :v)"),
        {"e": entry_id, "a": account, "v": amount},
    )


def raw_post(session, entry_id: int) -> None:
    session.execute(
        text("UPDATE journal_entries SET status = 'posted' WHERE id = :id"), {"id": entry_id}
    )


def test_database_refuses_to_post_an_unbalanced_entry_written_with_raw_sql(db):
    entry_id = raw_entry(db, "raw:unbalanced")
    raw_posting(db, entry_id, "cash:bank", 100)
    raw_posting(db, entry_id, "revenue:subscriptions", -99)
    with pytest.raises(IntegrityError, match="unbalanced"):
        raw_post(db, entry_id)


def test_database_refuses_to_post_an_entry_with_fewer_than_two_postings(db):
    entry_id = raw_entry(db, "raw:empty")
    with pytest.raises(IntegrityError, match="unbalanced"):
        raw_post(db, entry_id)


def test_database_refuses_an_entry_inserted_already_posted(db):
    with pytest.raises(IntegrityError, match="inserted open"):
        raw_entry(db, "raw:posted", status="posted")


def test_database_posts_a_balanced_raw_entry(db):
    entry_id = raw_entry(db, "raw:balanced")
    raw_posting(db, entry_id, "cash:bank", 100)
    raw_posting(db, entry_id, "revenue:subscriptions", -100)
    raw_post(db, entry_id)
    db.commit()
    assert trial_balance(db) == {"cash:bank": 100, "revenue:subscriptions": -100}


def test_open_entries_do_not_count_in_balances(db):
    entry_id = raw_entry(db, "raw:open")
    raw_posting(db, entry_id, "cash:bank", 100)
    db.commit()
    assert account_balance(db, "cash:bank") == 0
    assert trial_balance(db) == {}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_postings SET amount_cents = amount_cents + 1",
        "UPDATE ledger_postings SET account = 'cash:bank'",
        "DELETE FROM ledger_postings",
        "INSERT INTO ledger_postings (entry_id, account, amount_cents)"
        " SELECT id, 'cash:bank', 1 FROM journal_entries",
        "UPDATE journal_entries SET status = 'open'",
        "UPDATE journal_entries SET description = 'rewritten'",
        "DELETE FROM journal_entries",
    ],
    ids=[
        "change-amount",
        "change-account",
        "delete-posting",
        "add-posting",
        "reopen",
        "rewrite",
        "delete-entry",
    ],
)
def test_database_refuses_changing_a_posted_entry(session_factory, statement):
    with session_factory() as s:
        post_entry(s, entry("session:A:1"), occurred_at=OCT)
        s.commit()
    with session_factory() as s:
        with pytest.raises(IntegrityError, match="immutable"):
            s.execute(text(statement))
        s.rollback()
        assert trial_balance(s)["receivable:emsp:9"] == 971


def test_database_refuses_a_zero_posting(db):
    entry_id = raw_entry(db, "raw:zero")
    with pytest.raises(IntegrityError):
        raw_posting(db, entry_id, "cash:bank", 0)


def test_trigger_ddl_for_a_migration_recreates_the_guards(engine):
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in ledger_trigger_drop_ddl(dialect):
            conn.execute(text(statement))
        entry_id = raw_entry(conn, "raw:unguarded")  # nothing stops it now
        raw_post(conn, entry_id)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM journal_entries"))
        for statement in ledger_trigger_ddl(dialect):  # as an Alembic migration runs them
            conn.execute(text(statement))
    with engine.connect() as conn, pytest.raises(IntegrityError, match="unbalanced"):
        raw_post(conn, raw_entry(conn, "raw:guarded"))


def test_trigger_ddl_exists_for_both_backends_only():
    assert len(ledger_trigger_ddl("sqlite")) == 7
    assert len(ledger_trigger_ddl("postgresql")) == 4
    with pytest.raises(ValueError):
        ledger_trigger_ddl("mysql")


# Properties

ACCOUNTS = ["cash:bank", "clearing:psp", "payable:org:1", "receivable:emsp:9", "liability:vat"]


@st.composite
def entry_pools(draw):
    """A few distinct entries (distinct keys, balanced postings)."""
    size = draw(st.integers(1, 6))
    pool = []
    for i in range(size):
        amounts = draw(st.lists(st.integers(-(10**9), 10**9).filter(bool), min_size=1, max_size=4))
        accounts = draw(
            st.lists(
                st.sampled_from(ACCOUNTS), min_size=len(amounts) + 1, max_size=len(amounts) + 1
            )
        )
        postings = [Posting(a, v) for a, v in zip(accounts, amounts, strict=False)]
        if sum(amounts):
            postings.append(Posting(accounts[-1], -sum(amounts)))
        pool.append(JournalEntry(f"k{i}", f"entry {i}", tuple(postings)))
    return pool


def _fresh_ledger(engine) -> None:
    tables = [LedgerPosting.__table__, JournalEntryRow.__table__]
    Base.metadata.drop_all(engine, tables=tables)
    Base.metadata.create_all(engine, tables=tables)


def _post_all(engine, session_factory, entries) -> dict[str, int]:
    _fresh_ledger(engine)
    for e in entries:
        with session_factory() as s:
            post_entry(s, e, occurred_at=OCT)
            s.commit()
    with session_factory() as s:
        return trial_balance(s)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_posting_with_duplicates_equals_posting_the_deduplicated_list(
    engine, session_factory, data
):
    pool = data.draw(entry_pools())
    picks = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12))
    deduplicated = list(dict.fromkeys(picks))
    with_duplicates = _post_all(engine, session_factory, picks)
    without = _post_all(engine, session_factory, deduplicated)
    assert with_duplicates == without
    assert {a: v for a, v in with_duplicates.items() if v} == {
        a: v for a, v in balances(deduplicated).items() if v
    }
    assert sum(with_duplicates.values()) == 0
