"""Monthly settlement benchmark (issue 9): compute and export, each against a
bare baseline measured in the same run.

* **compute**: generates a month of N sessions (default 1,000,000) across 10,000
  organizations straight to parquet (the export's layout), then times
  `settlement.jobs.compute_period` (one `collect_all`) against a bare polars
  scan + group-by of the same sessions parquet; also turning the frames into
  `Document` objects, and writing the settlement file.
* **export**: seeds a throwaway PostgreSQL database (created like
  tests/conftest.py does, dropped after) with the demo world and `--export-sessions`
  finished sessions (default 200,000), then times `settlement.export.export_period`
  against a bare `COPY (SELECT … the same rows) TO STDOUT`.

Every step runs in its own child process, which reports its wall time (imports
excluded) and its peak RSS (`resource.getrusage`).

    .venv/bin/python bench/settlement.py [--sessions 1000000] [--export-sessions 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from settlement import schemas  # noqa: E402

PERIOD = "2026-10"
PG_ADMIN_URL = os.environ.get(
    "EC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _r(n: int, salt: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, n) per row."""
    return (pl.col("i").hash(seed=salt) % n).cast(pl.Int64)


def generate(out: Path, sessions: int, organizations: int = 10_000) -> None:
    """A month in the export's layout: 4 organizations per customer (a main one
    and three employees with a home charger), 3 depot chargers per main one."""
    for folder in ("sessions", "ledger"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    customers = organizations // 4
    start = datetime(2026, 9, 30, 22, tzinfo=UTC)
    month_s = 31 * 24 * 3600

    def write(table: str, frame: pl.DataFrame) -> None:
        frame = frame.select([pl.col(k).cast(v) for k, v in schemas.TABLES[table].items()])
        target = schemas.table_path(out, table)
        frame.write_parquet(target.with_name("part-00000.parquet") if "*" in target.name
                            else target)

    write("platform", pl.DataFrame({
        "id": [1], "name": ["Energy Cloud"], "legal_name": ["Energy Cloud B.V."],
        "currency": ["EUR"], "vat_rate_percent": ["21"], "vat_rate_bp": [2100],
        "time_zone": ["Europe/Amsterdam"], "vat_id": ["NL1B01"], "iban": ["NL91ABNA0417164300"],
        "support_email": [None], "period": [PERIOD], "exported_at": [start],
    }))
    ids = pl.DataFrame({"i": pl.int_range(1, 26, eager=True)})
    write("partners", ids.select(
        id="i", name=pl.format("Partner {}", "i"), display_name=pl.format("Partner {}", "i"),
        roaming_fee_per_kwh=pl.lit("0.05"), subscription_kickback_percent=pl.lit("15"),
        kickback_bp=pl.lit(1500), vat_registered=_r(2, 1) == 0, vat_id=pl.lit(None),
        iban=pl.lit("NL02RABO0123456789"), support_email=pl.lit(None),
        support_phone=pl.lit(None), logo_url=pl.lit(None), primary_color=pl.lit("#0b6e4f"),
        secondary_color=pl.lit("#f2f2f2")))
    cust = pl.DataFrame({"i": pl.int_range(1, customers + 1, eager=True)})
    write("customers", cust.select(
        id="i", name=pl.format("Customer {}", "i"),
        partner_id=pl.when(pl.col("i") % 26 == 0).then(None).otherwise(pl.col("i") % 26)))
    orgs = pl.DataFrame({"i": pl.int_range(1, organizations + 1, eager=True)}).with_columns(
        sub=(pl.col("i") - 1) % 4)
    write("organizations", orgs.select(
        id="i", customer_id=(pl.col("i") - 1) // 4 + 1,
        parent_id=pl.when(pl.col("sub") == 0).then(None).otherwise(pl.col("i") - pl.col("sub")),
        name=pl.format("Organization {}", "i"), is_private_person=pl.col("sub") > 0,
        vat_registered=(pl.col("sub") == 0) & (_r(10, 2) < 7), vat_id=pl.lit(None),
        iban=pl.lit("NL44INGB0001234567"), billing_email=pl.lit(None), address=pl.lit(None),
        country=pl.lit("NL")))
    write("emsps", pl.DataFrame({"i": pl.int_range(1, 13, eager=True)}).select(
        id="i", name=pl.format("eMSP {}", "i"), vat_id=pl.lit(None), iban=pl.lit(None),
        billing_email=pl.lit(None), address=pl.lit(None)))
    write("plans", pl.DataFrame({"id": [1, 2, 3, 4], "name": ["Business", "Home", "Public", "Odd"],
                                 "monthly_fee_cents": [1250, 795, 1995, 999]}))
    depots, homes = customers * 3, customers * 3
    first = datetime(2026, 10, 1).date()
    cps = pl.DataFrame({"i": pl.int_range(1, depots + homes + 1, eager=True)}).with_columns(
        home=pl.col("i") > depots, k=pl.when(pl.col("i") > depots)
        .then(pl.col("i") - depots - 1).otherwise(pl.col("i") - 1))
    connected = _r(10, 3)
    cps = cps.select(
        id="i", ocpp_id=pl.format("CP-{}", "i"), customer_id=pl.col("k") // 3 + 1,
        organization_id=pl.when("home").then(4 * (pl.col("k") // 3) + 2 + pl.col("k") % 3)
        .otherwise(4 * (pl.col("k") // 3) + 1),
        plan_id=pl.when("home").then(2).otherwise(_r(4, 4) + 1),
        first_connected_on=pl.when(connected == 0).then(None)
        .when(connected == 1).then(pl.lit(first) + pl.duration(days=_r(31, 5)))
        .otherwise(pl.lit(first) - pl.duration(days=_r(300, 6) + 1)).cast(pl.Date),
        billing_ended_on=pl.when(_r(20, 7) == 0)
        .then(pl.lit(first) + pl.duration(days=_r(31, 8))).otherwise(None).cast(pl.Date),
    ).with_columns(first_connected_at=pl.col("first_connected_on").cast(pl.Datetime("us", "UTC")),
                   billing_ended_at=pl.col("billing_ended_on").cast(pl.Datetime("us", "UTC")))
    write("charging_points", cps)
    kind = _r(20, 9)
    s = pl.DataFrame({"i": pl.int_range(0, sessions, eager=True)}).with_columns(
        category=pl.when(kind < 10).then(pl.lit("roaming")).when(kind < 16)
        .then(pl.lit("reimbursed")).when(kind < 19).then(pl.lit("free"))
        .otherwise(pl.lit("rejected")),
        energy_wh=_r(60_000, 10),
        stopped_at=pl.lit(start) + pl.duration(seconds=_r(month_s, 11))
        - pl.duration(days=pl.when(_r(100, 12) < 3).then(20).otherwise(0)),
    ).with_columns(
        charging_point_id=pl.when(pl.col("category") == "reimbursed")
        .then(depots + 1 + _r(homes, 13)).otherwise(1 + _r(depots + homes, 14)),
    ).join(cps.select(charging_point_id="id", ocpp_id="ocpp_id", customer_id="customer_id",
                      organization_id="organization_id"), on="charging_point_id")
    s = s.join(pl.read_parquet(out / "organizations.parquet").select(
        organization_id="id", main_organization_id=pl.coalesce("parent_id", "id")),
        on="organization_id").join(pl.read_parquet(out / "customers.parquet").select(
            customer_id="id", partner_id="partner_id"), on="customer_id")
    roaming, reimbursed = pl.col("category") == "roaming", pl.col("category") == "reimbursed"
    billed = pl.col("energy_wh") * 39 // 1000 + 35
    comp, fee = pl.col("energy_wh") * 30 // 1000, pl.col("energy_wh") * 5 // 1000
    write("sessions", s.sort("i").with_columns(
        workflow_id=pl.format("session:{}:{}", "ocpp_id", "i"),
        emsp_id=pl.when(roaming).then(_r(12, 15) + 1).otherwise(None),
        id_tag=pl.format("TAG-{}", _r(5000, 16)),
        started_at=pl.col("stopped_at") - pl.duration(hours=1),
        emsp_billed_cents=pl.when(roaming).then(billed).otherwise(0),
        owner_compensation_cents=pl.when(roaming).then(comp).otherwise(0),
        partner_fee_cents=pl.when(roaming).then(fee).otherwise(0),
        platform_margin_cents=pl.when(roaming).then(billed - comp - fee).otherwise(0),
        main_org_invoiced_cents=pl.when(reimbursed).then(pl.col("energy_wh") * 28 // 1000)
        .otherwise(0),
        employee_payout_cents=pl.when(reimbursed).then(pl.col("energy_wh") * 28 // 1000)
        .otherwise(0),
    ))
    write("ledger", pl.DataFrame(schema=schemas.LEDGER))


def child(step: str, directory: Path, db_url: str | None) -> dict:
    """Run one step in this process and report its time and peak memory."""
    info: dict = {}
    began = time.perf_counter()
    if step == "bare_scan":
        info["groups"] = (
            pl.scan_parquet(directory / "sessions" / "*.parquet")
            .group_by("category", "emsp_id", "organization_id")
            .agg(pl.len(), pl.col("energy_wh").sum(), pl.col("emsp_billed_cents").sum(),
                 pl.col("owner_compensation_cents").sum(), pl.col("partner_fee_cents").sum(),
                 pl.col("main_org_invoiced_cents").sum())
            .collect().height
        )
    elif step in ("compute", "documents", "settlement_file"):
        from settlement.jobs import compute_period
        from settlement.settlement_file import write_settlement_file

        comp = compute_period(directory)
        info["compute_s"] = time.perf_counter() - began
        if step == "documents":
            info["documents"] = len(comp.documents)
            info["lines"] = sum(len(d.lines) for d in comp.documents)
        if step == "settlement_file":
            result = write_settlement_file(comp, directory.parent / "settlement-file")
            info["balanced"] = result.balanced
            info["movements"] = comp.movements.height
    elif step == "export":
        from db.base import make_engine, make_sessionmaker
        from settlement.export import export_period

        factory = make_sessionmaker(make_engine(db_url))
        manifest = export_period(factory, period=PERIOD, out_dir=directory)
        info["rows"] = manifest.rows
    elif step == "bare_copy":
        import psycopg

        period = ("state = 'finished' AND stopped_at >= '2026-09-30 22:00+00' "
                  "AND stopped_at < '2026-10-31 23:00+00'")
        size = 0
        with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
            cur = conn.cursor()
            for query in (
                f"SELECT * FROM charging_sessions WHERE {period}",
                "SELECT * FROM journal_entries e JOIN ledger_postings p ON p.entry_id = e.id "
                f"WHERE e.reference IN (SELECT workflow_id FROM charging_sessions WHERE {period})",
            ):
                with cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                    for block in copy:
                        size += len(block)
        info["bytes"] = size
    info["seconds"] = time.perf_counter() - began
    info["peak_rss_mb"] = peak_rss_mb()
    return info


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux: VmHWM, which starts afresh at exec (the
    rusage maximum is inherited from the parent across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(step: str, directory: Path, db_url: str | None = None) -> dict:
    args = [sys.executable, __file__, "--child", step, "--dir", str(directory)]
    if db_url:
        args += ["--db-url", db_url]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(step: str, info: dict) -> dict:
    print(f"  {step:16s} {info['seconds']:7.2f} s  peak RSS {info['peak_rss_mb']:6.0f} MB  "  # noqa: T201
          + ", ".join(f"{k}={v}" for k, v in info.items() if k not in ("seconds", "peak_rss_mb")),
          flush=True)
    return info


def best_of(repeat: int, steps: tuple[str, ...], run) -> dict:
    """Run the steps in turn `repeat` times; report and keep each one's fastest run."""
    runs: dict[str, list[dict]] = {step: [] for step in steps}
    for _ in range(repeat):
        for step in steps:
            runs[step].append(run(step))
    best = {}
    for step, infos in runs.items():
        best[step] = min(infos, key=lambda info: info["seconds"])
        times = ", ".join(f"{info['seconds']:.2f}" for info in infos)
        report(step, {**best[step], "runs_s": f"[{times}]"})
    return best


if __name__ == "__main__":
    from settlement_pg import run_export_bench  # the script's own folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, default=10_000)
    parser.add_argument("--export-sessions", type=int, default=200_000)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternate baseline and step this often, keep the best of each")
    parser.add_argument("--child")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--db-url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.dir, args.db_url)))  # noqa: T201
        sys.exit(0)
    print(f"settlement bench: {args.sessions:,} sessions, {args.organizations:,} "  # noqa: T201
          f"organizations, export {args.export_sessions:,} sessions from PostgreSQL, "
          f"{os.cpu_count()} CPUs, polars {pl.__version__}")
    with tempfile.TemporaryDirectory(prefix="ec-bench-settle-") as tmp:
        data = Path(tmp) / "export"
        t0 = time.perf_counter()
        generate(data, args.sessions, args.organizations)
        print(f"generated parquet in {time.perf_counter() - t0:.1f} s", flush=True)  # noqa: T201
        # Baseline and measured step alternate, best of --repeat each: the
        # machine is shared, and a slow moment should not land on one side only.
        results = best_of(args.repeat, ("bare_scan", "compute"),
                          lambda step: run_child(step, data))
        for step in ("documents", "settlement_file"):
            results[step] = report(step, run_child(step, data))
        if not args.skip_export:
            results.update(run_export_bench(
                args.export_sessions, Path(tmp),
                lambda steps, run: best_of(args.repeat, steps, run),
                run_child, PG_ADMIN_URL, uuid.uuid4().hex[:6]))
    ratio = results["compute"]["seconds"] / results["bare_scan"]["seconds"]
    docs = results["documents"]["seconds"] - results["documents"]["compute_s"]
    summary = (f"compute {results['compute']['seconds']:.2f} s = {ratio:.1f}x bare scan+group-by"
               f" (aim <= 5x); documents as objects +{docs:.1f} s")
    if "export" in results:
        summary += (f"; export {results['export']['seconds']:.2f} s = "
                    f"{results['export']['seconds'] / results['bare_copy']['seconds']:.1f}x "
                    f"bare COPY of {args.export_sessions:,} sessions")
    print("summary: " + summary)  # noqa: T201
