"""The building blocks of the schema migrations (versions/0001–0008), so a revision
lists only what is its own: tables, columns, constraints, indexes.

Constraint and index names are spelled out here, by the rule of `db.base.NAMING`,
and marked final with `op.f`, so a revision keeps creating exactly the names it
created when it was written:

    pk_<table>   fk_<table>_<first column>_<referred table>   uq_<table>_<first column>
    ck_<table>_<name>   ix_<table>_<column>

A constraint is written without its table (`fk("partner_id", "partners")`) and
named by `create_table`, which knows it. Columns are NOT NULL unless `null=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import sqlalchemy as sa
from alembic import op

from db.base import UTCDateTime, in_list

# SQLite has no 64-bit autoincrement for BIGINT columns; INTEGER there (db.base.BigId).
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# A constraint still to be named after its table.
Constraint = Callable[[str], sa.Constraint]
# An index: one column (named ix_<table>_<column>) or (name, columns).
IndexSpec = str | tuple[str, Sequence[str]]


def column(name: str, type_: sa.types.TypeEngine, *, null: bool = False, **kw) -> sa.Column:
    return sa.Column(name, type_, nullable=null, **kw)


def big_id(name: str = "id") -> sa.Column:
    """A 64-bit id (or a reference to one)."""
    return column(name, BIG_ID)


def integer(name: str, *, null: bool = False, **kw) -> sa.Column:
    return column(name, sa.Integer(), null=null, **kw)


def string(name: str, length: int, *, null: bool = False, **kw) -> sa.Column:
    return column(name, sa.String(length=length), null=null, **kw)


def moment(name: str, *, null: bool = False) -> sa.Column:
    """A point in time, stored as UTC (db.base.UTCDateTime)."""
    return column(name, UTCDateTime(), null=null)


def created_at() -> sa.Column:
    return moment("created_at")


def updated_at() -> sa.Column:
    return moment("updated_at")


def enum(name: str, type_name: str, values: Sequence[str], *, null: bool = False) -> sa.Column:
    """A Python enum stored as plain strings (db.base.string_enum)."""
    return column(name, sa.Enum(*values, name=type_name, native_enum=False, length=32), null=null)


def pk(*columns: str) -> Constraint:
    """The primary key, on `id` unless other columns are named."""
    return lambda table: sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def fk(
    columns: str | Sequence[str],
    referred: str,
    referred_columns: Sequence[str] = ("id",),
    **kw,
) -> Constraint:
    """A foreign key from `columns` to `referred_columns` (`id`) of table `referred`."""
    names = [columns] if isinstance(columns, str) else list(columns)
    targets = [f"{referred}.{c}" for c in referred_columns]
    return lambda table: sa.ForeignKeyConstraint(
        names, targets, name=op.f(f"fk_{table}_{names[0]}_{referred}"), **kw
    )


def same_customer(column_name: str, referred: str) -> Constraint:
    """A reference to a row of `referred` that belongs to the same customer."""
    return fk([column_name, "customer_id"], referred, ["id", "customer_id"])


def unique(*columns: str, name: str | None = None) -> Constraint:
    return lambda table: sa.UniqueConstraint(
        *columns, name=name if name else op.f(f"uq_{table}_{columns[0]}")
    )


def check(name: str, condition: str) -> Constraint:
    return lambda table: sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def one_of(column_name: str, values: Iterable[str]) -> Constraint:
    """The check that `column_name` holds one of `values` (named after the column)."""
    return check(column_name, in_list(column_name, values))


def create_table(
    table: str, *items: sa.Column | Constraint, indexes: Sequence[IndexSpec] = ()
) -> None:
    """Create `table` with its columns and constraints, in the order given, then its
    indexes."""
    op.create_table(table, *(i if isinstance(i, sa.Column) else i(table) for i in items))
    if indexes:
        add_indexes(table, *indexes)


def add_indexes(table: str, *indexes: IndexSpec) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in indexes:
            if isinstance(index, str):
                batch_op.create_index(batch_op.f(f"ix_{table}_{index}"), [index], unique=False)
            else:
                name, columns = index
                batch_op.create_index(name, list(columns), unique=False)


def drop_indexes(table: str, *columns: str) -> None:
    """Drop the one-column indexes `ix_<table>_<column>` of `columns`."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{name}"))


def drop_tables(*tables: str) -> None:
    """Drop `tables` in the order given (dependents first); their indexes go with them."""
    for table in tables:
        op.drop_table(table)


def add_columns(table: str, *columns: sa.Column) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for new in columns:
            batch_op.add_column(new)


def drop_columns(table: str, *names: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)


def execute_for_dialect(statements: Callable[[str], Sequence[str]]) -> None:
    """Run the DDL a model module gives for this database's dialect (its triggers)."""
    for statement in statements(op.get_bind().dialect.name):
        op.execute(statement)
