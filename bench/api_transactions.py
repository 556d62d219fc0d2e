"""The transactions page through the API against the same query in raw SQL.

Seeds a throwaway PostgreSQL database with the demo world, extra customers
(one organization, one location, five charging points each) and N charging
sessions (bulk COPY), then times, in the same run:

* a customer admin's filtered transactions page (one month, 50 rows, newest
  end first) through the API's ASGI interface in-process (request parsing,
  bearer auth, scoping, paging, JSON; no network), and
  the equivalent SQL (the page and its count) straight on psycopg;
* the same for a partner admin (all of the partner's customers);
* the portal's dashboard under N concurrent logged-in users against a trivial
  page under the same concurrency (`bench/portal_dashboard.py`).

Prints the configuration, p50/p99 of each and the API/SQL ratios (aim <= 3x).

    .venv/bin/python bench/api_transactions.py --sessions 1000000 --requests 300
    .venv/bin/python bench/api_transactions.py --sessions 200000 --skip-transactions \
        --dashboard-users 20 --dashboard-rounds 25
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("EC_ARGON2_TIME_COST", "1")
os.environ.setdefault("EC_ARGON2_MEMORY_KIB", "1024")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from api.app import create_app  # noqa: E402
from bench import portal_dashboard  # noqa: E402
from bench.session_rows import charging_point_owners  # noqa: E402
from db import passwords  # noqa: E402
from db.base import make_engine, make_sessionmaker  # noqa: E402
from db.demo import load_demo_data  # noqa: E402
from db.models import ChargingPoint, Customer, Location, Organization, Partner, Rate, User  # noqa: E402
from db.schema import reset_schema  # noqa: E402
from energycloud.settings import Settings  # noqa: E402

PG_ADMIN = os.environ.get("EC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MONTH = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
SPAN_START = datetime(2025, 12, 1, tzinfo=UTC)
SPAN_DAYS = 365
COLUMNS = (
    "workflow_id", "ocpp_id", "transaction_id", "charging_point_id", "connector", "customer_id",
    "organization_id", "partner_id", "id_tag", "card_id", "category", "state", "started_at",
    "stopped_at", "meter_start_wh", "meter_stop_wh", "energy_wh", "stop_reason", "snapshot",
    "currency", "consumer_price_cents", "emsp_billed_cents", "main_org_invoiced_cents",
    "owner_compensation_cents", "employee_payout_cents", "partner_fee_cents",
    "platform_margin_cents", "flags", "needs_review", "created_at", "updated_at",
)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def create_database() -> str:
    name = f"ec_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def add_customers(factory, count: int) -> None:
    """Extra customers under the demo partners, each with 5 charging points."""
    with factory() as db:
        partners = list(db.scalars(select(Partner.id).order_by(Partner.id)))
        rate = db.scalar(select(Rate.id).where(Rate.customer_id.is_(None))) or db.scalar(
            select(Rate.id))
        for n in range(count):
            customer = Customer(name=f"Bench customer {n}", partner_id=partners[n % len(partners)])
            db.add(customer)
            db.flush()
            org = Organization(customer_id=customer.id, name=f"Bench org {n}", rate_id=rate)
            db.add(org)
            db.flush()
            loc = Location(customer_id=customer.id, organization_id=org.id, name=f"Site {n}",
                           access_mode="open", rate_inherited=True)
            db.add(loc)
            db.flush()
            for k in range(5):
                db.add(ChargingPoint(ocpp_id=f"BENCH-{n}-{k}", customer_id=customer.id,
                                     location_id=loc.id, name=f"Bay {k}", state="offline"))
        db.commit()


def copy_sessions(url: str, factory, count: int, *, first: int = 0,
                  span: tuple[datetime, int] = (SPAN_START, SPAN_DAYS * 86400),
                  live_every: int = 2000) -> None:
    """`count` sessions numbered from `first`, starting in `span` (start, seconds);
    every `live_every`th one still charging (0: none)."""
    with factory() as db:
        points = charging_point_owners(db)
    rng = random.Random(7 + first)
    now = datetime.now(UTC)
    pg_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(pg_url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY charging_sessions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(first, first + count):
                cp_id, ocpp_id, customer, org, partner = points[rng.randrange(len(points))]
                start = span[0] + timedelta(seconds=rng.randrange(span[1]))
                live = bool(live_every) and i % live_every == 0
                wh = rng.randrange(1000, 60000)
                price = wh * 35 // 1000
                copy.write_row((
                    f"bench-{i}", ocpp_id, str(i), cp_id, 1, customer, org, partner, "TAG",
                    None, "free" if i % 3 else "reimbursed", "active" if live else "finished",
                    start, None if live else start + timedelta(minutes=rng.randrange(10, 600)),
                    0, None if live else wh, 0 if live else wh, None if live else "Local",
                    "{}", "EUR", 0 if live else price, 0, 0 if live else price, 0,
                    0 if live else price, 0, 0, "[]", False, now, now,
                ))
        conn.commit()


def vacuum(url: str) -> None:
    """What autovacuum does to a table after a bulk load: statistics for the
    planner and a visibility map for index-only counts."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def this_month() -> tuple[datetime, int]:
    """The current calendar month (UTC) as (start, seconds): the dashboard's period."""
    today = datetime.now(UTC)
    start = today.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, int((end - start).total_seconds())


def raw_sql(cur, where: str, params: dict) -> None:
    """The page and its count, as the API's query does."""
    # The period is past, so (as in the API) no live session can end in it.
    period = "stopped_at >= %(since)s AND stopped_at < %(until)s"
    cur.execute(f"SELECT count(*) FROM charging_sessions WHERE {where} AND {period}", params)
    cur.fetchone()
    cur.execute(f"SELECT * FROM charging_sessions WHERE {where} AND {period}"
                " ORDER BY stopped_at DESC NULLS FIRST, id DESC LIMIT 50", params)
    cur.fetchall()


def timed(fn, n: int) -> list[float]:
    for _ in range(10):
        fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def timed_async(fn, n: int) -> list[float]:
    for _ in range(10):
        await fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def measure(app, acme, volt, requests: int, pg_url: str) -> dict:
    """API through its ASGI interface in this process (HTTP parsing, auth,
    scoping, paging, JSON; no network), SQL straight on psycopg, alternating."""
    params = {"since": MONTH[0].isoformat(), "until": MONTH[1].isoformat(), "limit": 50}
    results = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        with psycopg.connect(pg_url) as pg, pg.cursor() as cur:
            for who, email, where, sql_params in (
                ("customer", "admin@acme.example", "customer_id = %(c)s",
                 {"c": acme.customer_id}),
                ("partner", "admin@voltpartners.example",
                 "customer_id IN (SELECT id FROM customers WHERE partner_id = %(p)s)",
                 {"p": volt.partner_id}),
            ):
                token = (await client.post("/api/v1/auth/token", data={
                    "username": email, "password": "demo"})).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}

                async def api_call(headers=headers):
                    answer = await client.get("/api/v1/transactions", params=params,
                                              headers=headers)
                    assert answer.status_code == 200, answer.text
                    return answer

                rows_in_page = len((await api_call()).json()["items"])
                sql = {**sql_params, "since": MONTH[0], "until": MONTH[1]}
                api = await timed_async(api_call, requests)
                raw = timed(lambda where=where, sql=sql: raw_sql(cur, where, sql), requests)
                results[who] = (api, raw, rows_in_page)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--dashboard-users", type=int, default=20,
                        help="concurrent portal users on the dashboard (0: skip)")
    parser.add_argument("--dashboard-rounds", type=int, default=25,
                        help="times each dashboard user fetches the page")
    parser.add_argument("--dashboard-month-sessions", type=int,
                        help="extra sessions in the current month (default: sessions / 12)")
    parser.add_argument("--skip-transactions", action="store_true",
                        help="time only the dashboard")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", metavar="URL", help="time against a database a --keep run left")
    args = parser.parse_args()
    if args.dashboard_month_sessions is None:
        args.dashboard_month_sessions = args.sessions // 12
    passwords.configure(time_cost=1, memory_kib=1024)

    url = args.reuse or create_database()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    seed_s = 0.0
    try:
        if not args.reuse:
            reset_schema(engine)
            load_demo_data(factory, password="demo")
            add_customers(factory, args.customers)
            t0 = time.perf_counter()
            copy_sessions(url, factory, args.sessions)
            # The dashboard totals and charts the current month. The seed's year
            # ends where it starts, so fill this whole month as it looks on its
            # last day (stop times later today are "future" on purpose): the
            # dashboard's worst case, not the near-empty first day.
            copy_sessions(url, factory, args.dashboard_month_sessions, first=args.sessions,
                          span=this_month(), live_every=0)
            vacuum(url)
            seed_s = time.perf_counter() - t0
            if args.keep:
                print(f"database kept: {url}")

        app = create_app(Settings(database_url=url, secret_key="bench-" + "x" * 32),
                         session_factory=factory)
        with factory() as db:
            acme = db.scalar(select(User).where(User.email == "admin@acme.example"))
            volt = db.scalar(select(User).where(User.email == "admin@voltpartners.example"))
            customer_rows = db.scalar(text(
                "SELECT count(*) FROM charging_sessions WHERE customer_id = :c"),
                {"c": acme.customer_id})
            partner_rows = db.scalar(text(
                "SELECT count(*) FROM charging_sessions WHERE partner_id = :p"),
                {"p": volt.partner_id})
        results = {} if args.skip_transactions else asyncio.run(measure(
            app, acme, volt, args.requests, url.replace("postgresql+psycopg://", "postgresql://")))
        dashboard = None
        if args.dashboard_users:
            dashboard = portal_dashboard.measure(url, users=args.dashboard_users,
                                                 rounds=args.dashboard_rounds)

        print(json.dumps({
            "sessions": args.sessions, "customers": args.customers + 4, "seed_copy_s":
            round(seed_s, 1), "requests": args.requests, "period": [str(m) for m in MONTH],
            "acme_sessions": customer_rows, "volt_sessions": partner_rows,
            "transactions": not args.skip_transactions,
            "dashboard_month_sessions": args.dashboard_month_sessions,
            "dashboard_users": args.dashboard_users, "dashboard_rounds": args.dashboard_rounds,
            "dashboard_roles": [role for role, _ in portal_dashboard.ROLES],
        }))
        summary = []
        for who, (api, raw, rows) in results.items():
            p50a, p99a = statistics.median(api), percentile(api, 0.99)
            p50r, p99r = statistics.median(raw), percentile(raw, 0.99)
            print(f"{who:8s} page of {rows}: API p50 {p50a:7.2f} ms p99 {p99a:7.2f} ms | "
                  f"SQL p50 {p50r:7.2f} ms p99 {p99r:7.2f} ms | ratio p50 {p50a / p50r:.2f}x "
                  f"p99 {p99a / p99r:.2f}x")
            summary.append(f"{who} p50 {p50a:.1f}ms ({p50a / p50r:.2f}x) "
                           f"p99 {p99a:.1f}ms ({p99a / p99r:.2f}x)")
        if dashboard:
            line, fragment = portal_dashboard.summarize(dashboard, percentile)
            print(line)
            summary.append(fragment + f" under {args.dashboard_users} users")
        aim = "" if args.skip_transactions else " (aim <= 3x for the transactions pages)"
        print("SUMMARY: " + "; ".join(summary) + aim)
    finally:
        engine.dispose()
        if not args.keep and not args.reuse:
            drop_database(url)


if __name__ == "__main__":
    main()
