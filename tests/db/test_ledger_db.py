"""The ledger in the database, on SQLite and PostgreSQL: the database itself
refuses unbalanced and changed entries, and posting is idempotent.
(tests/db/test_ledger_guards.py: the database's own guards against raw SQL.)"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.base import Base
from db.ledger import (
    IdempotencyConflict,
    account_balance,
    entries_for_reference,
    get_entry,
    post_entry,
    trial_balance,
)
from db.models.ledger import JournalEntryRow, LedgerPosting
from domain.ledger import JournalEntry, Posting, balances
from tests.db.ledger_entries import OCT, entry, entry_count

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
