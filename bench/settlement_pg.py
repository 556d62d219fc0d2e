"""The export half of bench/settlement.py: a throwaway PostgreSQL database
(created like tests/conftest.py does, dropped after) with the demo world and N
finished October sessions written with COPY, then `export_period` against a bare
`COPY … TO` of the same rows, each in its own child process."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("EC_ARGON2_TIME_COST", "1")
os.environ.setdefault("EC_ARGON2_MEMORY_KIB", "1024")

from sqlalchemy import create_engine, text  # noqa: E402

from bench.session_rows import charging_point_owners  # noqa: E402
from db.base import make_engine, make_sessionmaker  # noqa: E402
from db.demo import load_demo_data  # noqa: E402
from db.schema import reset_schema  # noqa: E402

COLUMNS = (
    "workflow_id, ocpp_id, transaction_id, charging_point_id, connector, customer_id, "
    "organization_id, partner_id, id_tag, emsp_id, category, state, started_at, stopped_at, "
    "meter_start_wh, meter_stop_wh, energy_wh, snapshot, currency, consumer_price_cents, "
    "emsp_billed_cents, main_org_invoiced_cents, owner_compensation_cents, "
    "employee_payout_cents, partner_fee_cents, platform_margin_cents, flags, needs_review, "
    "created_at, updated_at"
)


def seed(url: str, sessions: int) -> None:
    engine = make_engine(url)
    reset_schema(engine)
    load_demo_data(make_sessionmaker(engine))
    with engine.connect() as conn:
        points = charging_point_owners(conn)
        emsp_ids = [r[0] for r in conn.execute(text("SELECT id FROM emsps"))]
    start = datetime(2026, 9, 30, 22, tzinfo=UTC)
    now = datetime.now(UTC)
    raw = engine.raw_connection()
    entries: list[tuple] = []
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY charging_sessions ({COLUMNS}) FROM STDIN") as copy:
            for n in range(sessions):
                cp_id, ocpp, customer, org, partner = points[n % len(points)]
                roaming = n % 2 == 0
                wh = (n * 7919) % 60_000
                stopped = start + timedelta(seconds=(n * 104_729) % (31 * 86_400))
                billed, comp, fee = wh * 39 // 1000 + 35, wh * 30 // 1000, wh * 5 // 1000
                copy.write_row((
                    f"session:{ocpp}:{n}", ocpp, str(n), cp_id, 1, customer, org,
                    partner if roaming else None, f"TAG-{n % 5000}",
                    emsp_ids[n % len(emsp_ids)] if roaming else None,
                    "roaming" if roaming else "free", "finished",
                    stopped - timedelta(hours=1), stopped, 0, wh, wh, "{}", "EUR",
                    billed if roaming else 0, billed if roaming else 0, 0,
                    comp if roaming else 0, 0, fee if roaming else 0,
                    billed - comp - fee if roaming else 0, "[]", False, now, now,
                ))
                if roaming:
                    entries.append((f"session:{ocpp}:{n}", stopped, org, partner,
                                    emsp_ids[n % len(emsp_ids)], billed, comp, fee))
        _ledger(cur, entries, now)
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def _ledger(cur, entries: list[tuple], now: datetime) -> None:
    """The roaming sessions' ledger entries (4 postings each), as the session
    workflow posts them. Bulk-loaded with the ledger's triggers off: the bench
    seeds data, the ledger rules are tested elsewhere."""
    cur.execute("ALTER TABLE journal_entries DISABLE TRIGGER USER")
    cur.execute("ALTER TABLE ledger_postings DISABLE TRIGGER USER")
    with cur.copy("COPY journal_entries (id, idempotency_key, kind, description, currency, "
                  "occurred_at, posted_at, status, reference) FROM STDIN") as copy:
        for n, (wid, stopped, *_rest) in enumerate(entries, start=1):
            copy.write_row((n, f"{wid}:ledger", "session", f"roaming session {wid}", "EUR",
                            stopped, now, "posted", wid))
    with cur.copy("COPY ledger_postings (entry_id, account, amount_cents) FROM STDIN") as copy:
        for n, (_wid, _stopped, org, partner, emsp, billed, comp, fee) in enumerate(
            entries, start=1
        ):
            fee_account = f"payable:partner:{partner}" if partner else "revenue:roaming_fees"
            for account, cents in ((f"receivable:emsp:{emsp}", billed),
                                   (f"payable:org:{org}", -comp), (fee_account, -fee),
                                   ("revenue:roaming_margin", comp + fee - billed)):
                if cents:
                    copy.write_row((n, account, cents))
    cur.execute("SELECT setval(pg_get_serial_sequence('journal_entries', 'id'), %s)",
                (max(len(entries), 1),))
    cur.execute("ALTER TABLE journal_entries ENABLE TRIGGER USER")
    cur.execute("ALTER TABLE ledger_postings ENABLE TRIGGER USER")
    cur.execute("ANALYZE")


def run_export_bench(
    sessions: int, tmp, best_of, run_child, admin_url: str, suffix: str
) -> dict:
    name = f"ec_bench_settle_{os.getpid()}_{suffix}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        began = time.perf_counter()
        seed(url, sessions)
        print(f"seeded PostgreSQL with {sessions:,} sessions in "  # noqa: T201
              f"{time.perf_counter() - began:.1f} s", flush=True)
        folders = {"bare_copy": tmp / "copy", "export": tmp / "pg-export"}
        return best_of(("bare_copy", "export"), lambda step: run_child(step, folders[step], url))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
