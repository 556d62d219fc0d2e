"""The ledger's guards in the database itself, on SQLite and PostgreSQL: raw SQL
cannot post an unbalanced entry, change a posted one or post a zero."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.ledger import account_balance, post_entry, trial_balance
from db.models.ledger import ledger_trigger_ddl, ledger_trigger_drop_ddl
from tests.db.ledger_entries import OCT, entry


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
