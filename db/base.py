"""Declarative base, engine and session factory. One code path for SQLite (the
embedded default) and PostgreSQL (production), chosen by DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Relationship, Session, relationship, sessionmaker
from sqlalchemy.types import TypeDecorator

from db.writer_turns import writer_turn

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no 64-bit autoincrement for BIGINT columns; use INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DecimalText(TypeDecorator):
    """An exact Decimal stored as text: SQLite's NUMERIC is a float, and per-unit
    prices (€0.2345/kWh) must survive a round trip bit for bit (DOMAIN.md §7)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("refusing float for an exact decimal column")
        return str(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on both backends (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC timestamps")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def string_enum(cls) -> Enum:
    """An enum column stored as plain strings (portable, readable in SQL),
    validated by SQLAlchemy."""
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


def in_list(column: str, values: Iterable[str]) -> str:
    """SQL that holds when the string `column` is one of `values`."""
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """The check that `column` holds one of `values`, named after the column."""
    return CheckConstraint(in_list(column, values), name=column)


def customer_key(table: str) -> UniqueConstraint:
    """(id, customer_id) unique in `table`, so that rows of the tree can refer to
    a row of `table` of their own customer (`same_customer`)."""
    return UniqueConstraint("id", "customer_id", name=f"uq_{table}_id_customer")


def same_customer(column: str, table: str) -> ForeignKeyConstraint:
    """`column` refers to a row of `table` of the same customer as this row: the
    database itself keeps a customer's tree apart from the others."""
    return ForeignKeyConstraint([column, "customer_id"], [f"{table}.id", f"{table}.customer_id"])


def by_id(reference: str, target: str, **kwargs) -> Relationship:
    """The relationship along `reference` ("Child.column") to the `target` row with
    that id. Where the reference is part of a `same_customer` key, SQLAlchemy would
    join on (id, customer_id) and have customer_id written by two relationships."""
    return relationship(primaryjoin=f"{reference} == {target}.id", foreign_keys=reference, **kwargs)


def utcnow() -> datetime:
    return datetime.now(UTC)


def begin_immediate(connection: Connection) -> None:
    """Begin a SQLite transaction IMMEDIATE: take the write lock up front so
    concurrent writers wait (busy_timeout) instead of failing to upgrade a read
    lock on a stale snapshot. The one place the platform says how."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# The execution option that marks a read-only unit of work (`reading`).
_READ_ONLY = "energycloud_read_only"


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            # Take transaction control away from pysqlite, which emits no BEGIN
            # before a SAVEPOINT (so releasing one would commit everything); we
            # emit BEGIN ourselves below. SQLAlchemy's documented recipe.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            if conn.get_execution_options().get(_READ_ONLY):
                # A reader sees the last commit (WAL) and never waits for the writer.
                conn.exec_driver_sql("BEGIN")
            else:
                begin_immediate(conn)

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only unit of work: nothing it does is kept. On SQLite it begins
    DEFERRED, so reads do not queue behind the writer's lock (`begin_immediate` is
    for units of work that write), and is rolled back on close.

    On PostgreSQL it is a READ ONLY transaction (a write in it fails) that ends
    with COMMIT: psycopg forgets every prepared statement of a connection at a
    ROLLBACK, so ending each read with one had PostgreSQL parse and plan every
    statement of the platform anew, every time (the charging point's seven-table
    join of an authorization, 1.2 ms of planning, issue 14). A read that fails is
    still rolled back."""
    with factory() as session:
        # postgresql_readonly: psycopg begins it READ ONLY (SQLite has no such option).
        connection = session.connection(
            execution_options={_READ_ONLY: True, "postgresql_readonly": True}
        )
        yield session
        if connection.dialect.name == "postgresql":
            session.commit()


@contextmanager
def transaction(factory: sessionmaker[Session], *, urgent: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error. On SQLite,
    this process's writers take turns (`db.writer_turns`); `urgent` ones (someone
    is waiting on them) go first."""
    with (writer_turn(factory.kw.get("bind"), urgent=urgent), factory() as session,
          session.begin()):
        yield session
