"""Export one settlement period from the database to parquet (DOMAIN.md §8,
issue 9): the facts `settlement/jobs.py` and `settlement/facts.py` compute from.

What is exported (schemas in `settlement/schemas.py`):

* **sessions**: finished sessions that ended in the period (by end time, in the
  platform's time zone) and *late* sessions: finished before the period but not
  yet settled into any period (`period_sessions` has no row for them), ending on
  or after `late_since` when given. A session already settled into another
  period is never exported again. Once a period's sessions are recorded in
  `period_sessions`, exporting it again (a re-run, a correction) exports exactly
  those sessions: a session arriving later goes to the next open period.
* **charging_points** with their billable dates (first connected, billing
  ended) as instants and as platform-zone dates; **plans**; the parties
  (platform, partners, customers, organizations, eMSPs);
* **ledger**: the period's postings — entries of the exported sessions and the
  period's document entries (keys `<period>:…`).

Rows are streamed, never loaded as ORM objects: on PostgreSQL the big tables
go through `COPY (SELECT …) TO STDOUT` into a CSV spool that polars turns into
parquet; elsewhere rows are fetched in chunks of `CHUNK_ROWS`, each chunk a
parquet part.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql import CompoundSelect, Select

from db.base import utcnow
from db.models import (
    ChargingPoint,
    ChargingSession,
    Customer,
    Emsp,
    JournalEntryRow,
    LedgerPosting,
    Location,
    Organization,
    Partner,
    PlatformSettings,
    SubscriptionPlan,
)
from db.models.documents import PeriodSession
from domain.payments import PaymentMethod
from domain.periods import local_date, parse_period
from settlement import schemas

__all__ = ["CHUNK_ROWS", "ExportManifest", "export_period"]

log = logging.getLogger(__name__)
CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class ExportManifest:
    period: str
    out_dir: Path
    exported_at: datetime
    time_zone: str
    rows: dict[str, int]  # table → rows written, and `late_sessions` among the sessions

    @property
    def sessions(self) -> int:
        return self.rows["sessions"]


def _bp(rate: Decimal) -> int:
    """A percent as integer basis points; rates finer than 0.01 % are refused."""
    bp = Decimal(rate) * 100
    if bp != bp.to_integral_value():
        raise ValueError(f"rate {rate} % has more than two decimals")
    return int(bp)


def _direct_debit_mandate(o: type[Organization]):
    """The mandate an organization's invoices are collected under: its signed
    mandate when it pays by direct debit (method `sepa_mandate`, or none set),
    else NULL; the rule of `db.payments.payment_method`."""
    return case(
        (or_(o.payment_method.is_(None), o.payment_method == str(PaymentMethod.SEPA_MANDATE)),
         o.sepa_mandate_id),
        else_=None,
    ).label("sepa_mandate_id")


def session_select(
    period: str, time_zone: str, late_since: datetime | None, *, recorded: bool = False
) -> Select:
    """The sessions a period settles (see the module docstring). `recorded`: the
    period's sessions were already recorded as settled into it, so exactly those
    are exported again (a re-run or a correction never picks up newcomers)."""
    start, end = parse_period(period).bounds_utc(time_zone)
    s = ChargingSession
    if recorded:
        return _session_columns().where(
            s.state == "finished",
            s.workflow_id.in_(
                select(PeriodSession.workflow_id).where(PeriodSession.period == period)
            ),
        )
    settled_elsewhere = (
        select(literal(1))
        .where(PeriodSession.workflow_id == s.workflow_id, PeriodSession.period != period)
        .exists()
    )
    late = s.stopped_at < start
    if late_since is not None:
        late = and_(late, s.stopped_at >= late_since)
    return _session_columns().where(
        s.state == "finished",
        s.stopped_at < end,
        or_(s.stopped_at >= start, late),
        ~settled_elsewhere,
    )


def _session_columns() -> Select:
    s, o = ChargingSession, Organization
    return (
        select(
            s.workflow_id, s.ocpp_id, s.charging_point_id, s.customer_id, s.organization_id,
            func.coalesce(o.parent_id, o.id).label("main_organization_id"), s.partner_id,
            s.emsp_id, s.id_tag, s.category, s.started_at, s.stopped_at, s.energy_wh,
            s.emsp_billed_cents, s.main_org_invoiced_cents, s.owner_compensation_cents,
            s.employee_payout_cents, s.partner_fee_cents, s.platform_margin_cents,
        )
        .join(o, o.id == s.organization_id)
    )


def ledger_select(period: str, sessions: Select) -> CompoundSelect:
    """The postings of the exported sessions' entries and of the period's
    document entries (keys `<period>:…`). A join and a union, not `IN (…) OR …`:
    with an OR, PostgreSQL may run the session subquery once per entry."""
    e, p = JournalEntryRow, LedgerPosting
    ids = sessions.with_only_columns(ChargingSession.workflow_id).subquery()
    columns = (e.id.label("entry_id"), e.idempotency_key, e.kind, e.reference, e.occurred_at,
               p.account, p.amount_cents)
    of_sessions = (
        select(*columns).join(p, p.entry_id == e.id)
        .join(ids, ids.c.workflow_id == e.reference)
        .where(e.status == "posted")
    )
    of_documents = (
        select(*columns).join(p, p.entry_id == e.id)
        .where(e.status == "posted", e.idempotency_key.like(f"{period}:%"))
    )
    return union_all(of_sessions, of_documents)


def _frame(rows, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def _write_parts(conn, stmt, schema: dict, folder: Path) -> int:
    """Stream rows in chunks, one parquet part per chunk (SQLite and others)."""
    folder.mkdir(parents=True, exist_ok=True)
    result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(stmt)
    total = 0
    for n, rows in enumerate(result.partitions(CHUNK_ROWS)):
        _frame(rows, schema).write_parquet(folder / f"part-{n:05d}.parquet")
        total += len(rows)
    if total == 0:
        _frame([], schema).write_parquet(folder / "part-00000.parquet")
    return total


def _copy_parts(conn, stmt, schema: dict, folder: Path) -> int:
    """PostgreSQL: `COPY (SELECT …) TO STDOUT` into a CSV spool, then parquet.
    Instants travel as epoch microseconds (no text time-zone parsing)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = stmt.subquery()
    columns = []
    for name, kind in schema.items():
        column = rows.c[name]
        if kind == schemas.UTC_TS:
            column = (func.extract("epoch", column) * 1_000_000).cast(
                ChargingSession.energy_wh.type
            ).label(name)
        columns.append(column)
    compiled = select(*columns).compile(dialect=conn.dialect)
    spool = Path(tempfile.mkstemp(suffix=".csv", dir=folder)[1])
    try:
        cursor = conn.connection.dbapi_connection.cursor()
        with spool.open("wb") as out, cursor.copy(
            f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)", compiled.params
        ) as copy:
            for block in copy:
                out.write(block)
        csv_schema = {k: (pl.Int64 if v == schemas.UTC_TS else v) for k, v in schema.items()}
        frame = pl.scan_csv(spool, has_header=False, schema=csv_schema).with_columns(
            pl.col(k).cast(schemas.UTC_TS) for k, v in schema.items() if v == schemas.UTC_TS
        )
        frame.sink_parquet(folder / "part-00000.parquet")
        return pl.scan_parquet(folder / "part-00000.parquet").select(pl.len()).collect().item()
    finally:
        spool.unlink(missing_ok=True)


def _big_table(conn, stmt, schema: dict, folder: Path) -> int:
    if conn.dialect.name == "postgresql":
        return _copy_parts(conn, stmt, schema, folder)
    return _write_parts(conn, stmt, schema, folder)


def _small_table(conn, stmt: Select, schema: dict, path: Path) -> int:
    frame = _frame(conn.execute(stmt).all(), schema)
    frame.write_parquet(path)
    return frame.height


def export_period(
    session_factory, *, period: str, out_dir: Path, late_since: datetime | None = None
) -> ExportManifest:
    """Write the period's facts under `out_dir` (replacing an earlier export of
    it) in one read transaction, so every table shows the same moment."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    exported_at = utcnow()
    rows: dict[str, int] = {}
    with session_factory() as session, session.begin():
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        ps = session.execute(select(PlatformSettings).limit(1)).scalar_one_or_none()
        if ps is None:
            raise ValueError("no platform settings: load the platform's settings first")
        tz = ps.time_zone
        platform = pl.DataFrame([{
            "id": ps.id, "name": ps.name, "legal_name": ps.legal_name, "currency": ps.currency,
            "vat_rate_percent": str(ps.vat_rate_percent), "vat_rate_bp": _bp(ps.vat_rate_percent),
            "time_zone": tz, "vat_id": ps.vat_id, "iban": ps.iban,
            "support_email": ps.support_email, "period": period, "exported_at": exported_at,
        }], schema=schemas.PLATFORM)
        platform.write_parquet(out_dir / "platform.parquet")
        rows["platform"] = 1
        pt = Partner
        partners = [
            (r.id, r.name, r.display_name, str(r.roaming_fee_per_kwh),
             str(r.subscription_kickback_percent), _bp(r.subscription_kickback_percent),
             r.vat_registered, r.vat_id, r.iban, r.support_email, r.support_phone, r.logo_url,
             r.primary_color, r.secondary_color)
            for r in conn.execute(select(
                pt.id, pt.name, pt.display_name, pt.roaming_fee_per_kwh,
                pt.subscription_kickback_percent, pt.vat_registered, pt.vat_id, pt.iban,
                pt.support_email, pt.support_phone, pt.logo_url, pt.primary_color,
                pt.secondary_color).order_by(pt.id))
        ]
        _frame(partners, schemas.PARTNERS).write_parquet(out_dir / "partners.parquet")
        rows["partners"] = len(partners)
        c, o, e, sp = Customer, Organization, Emsp, SubscriptionPlan
        small = {
            "customers": select(c.id, c.name, c.partner_id).order_by(c.id),
            "organizations": select(
                o.id, o.customer_id, o.parent_id, o.name, o.is_private_person,
                o.vat_registered, o.vat_id, o.iban, o.billing_email, o.address, o.country,
                _direct_debit_mandate(o),
            ).order_by(o.id),
            "emsps": select(e.id, e.name, e.vat_id, e.iban, e.billing_email, e.address)
            .order_by(e.id),
            "plans": select(sp.id, sp.name, sp.monthly_fee_cents).order_by(sp.id),
        }
        for table, stmt in small.items():
            rows[table] = _small_table(
                conn, stmt, schemas.TABLES[table], out_dir / f"{table}.parquet"
            )
        rows["charging_points"] = _charging_points(conn, tz, out_dir)
        recorded = session.scalar(
            select(literal(1)).where(PeriodSession.period == period).limit(1)
        ) is not None
        sessions = session_select(period, tz, late_since, recorded=recorded)
        rows["sessions"] = _big_table(conn, sessions, schemas.SESSIONS, out_dir / "sessions")
        start, _ = parse_period(period).bounds_utc(tz)
        rows["late_sessions"] = (
            schemas.scan(out_dir, "sessions").filter(pl.col("stopped_at") < start)
            .select(pl.len()).collect().item()
        )
        rows["ledger"] = _big_table(
            conn, ledger_select(period, sessions), schemas.LEDGER, out_dir / "ledger"
        )
    log.info("exported period %s to %s: %s", period, out_dir, rows)
    return ExportManifest(period, out_dir, exported_at, tz, rows)


def _charging_points(conn, tz: str, out_dir: Path) -> int:
    cp, loc = ChargingPoint, Location
    stmt = (
        select(cp.id, cp.ocpp_id, cp.customer_id, loc.organization_id, cp.subscription_plan_id,
               cp.first_connected_at, cp.billing_ended_at)
        .join(loc, loc.id == cp.location_id)
        .order_by(cp.id)
    )
    records = [
        (*r, None if r[5] is None else local_date(r[5], tz),
         None if r[6] is None else local_date(r[6], tz))
        for r in conn.execute(stmt)
    ]
    _frame(records, schemas.CHARGING_POINTS).write_parquet(out_dir / "charging_points.parquet")
    return len(records)
