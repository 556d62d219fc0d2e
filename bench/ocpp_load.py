"""OCPP ingest load bench: N simulated chargers (boot, status, heartbeats, meter
values every few seconds, sessions) against ONE ingest process, compared in the
same run with a bare `ocpp` library handler that does nothing but answer.

For each N (stepped up: 100, 250, 500, 1000, ...) both servers get the same load
in turn, each in its own process on loopback; the bench prints sustained
answered messages/s and p50/p99 answer latency of each and the ingest's as a
ratio to the bare handler's, then the largest N the ingest held with p99 under
1 s. It stops by itself: when the ingest's p99 passes 1 s, when the steps run
out, or when the time budget is spent.

    python bench/ocpp_load.py                        # SQLite file in a temp dir
    python bench/ocpp_load.py --database-url postgresql://postgres@127.0.0.1/bench
    python bench/ocpp_load.py --steps 100,250 --step-seconds 10

The ingest's session gateway answers Accepted at once (the session workflow is
measured by its own bench): this measures the websocket, OCPP, auth and database
path of the ingest."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ocpp_load_fleet import run_step  # noqa: E402
from bench.ocpp_load_servers import out, seed, serve_bare, serve_ingest  # noqa: E402
from ocpp_ingest.options import IngestOptions  # noqa: E402


async def start_server(args, kind: str, database_url: str):
    cmd = [
        sys.executable,
        __file__,
        "--serve",
        kind,
        "--database-url",
        database_url,
        "--flush-ms",
        str(args.flush_ms),
    ]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE)
    port = int((await asyncio.wait_for(proc.stdout.readline(), 120)).decode())
    return proc, f"ws://127.0.0.1:{port}/ocpp"


async def bench(args) -> int:
    steps = [int(x) for x in args.steps.split(",")]
    began = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="ocpp-bench-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    out(
        f"config: database {database_url.split('@')[-1]}; steps {args.steps}; one message per "
        f"charger every {args.interval:g} s; {args.step_seconds:g} s measured per step and "
        f"server; writer flush {args.flush_ms:g} ms; gc thresholds {gc.get_threshold()} "
        f"(simulator and both servers); {os.cpu_count()} cores"
    )
    out(f"seeding {max(steps)} charging points")
    await asyncio.to_thread(seed, database_url, max(steps))
    bare, bare_url = await start_server(args, "bare", database_url)
    ingest, ingest_url = await start_server(args, "ingest", database_url)
    out(
        f"one message per charger every {args.interval:g} s; {args.step_seconds:g} s measured "
        "per step and server\n"
    )
    out(
        f"{'N':>6} | {'bare msg/s':>10} {'p50 ms':>7} {'p99 ms':>7} | {'ingest msg/s':>12} "
        f"{'p50 ms':>7} {'p99 ms':>8} {'err':>4} | {'ratio msg/s':>11} {'p50':>6} {'p99':>6} "
        f"| {'sim cores':>9}"
    )
    held = held_line = None
    try:
        for n in steps:
            if time.monotonic() - began > args.max_seconds:
                out(f"time budget of {args.max_seconds:g} s spent; stopping")
                break
            b = await run_step("bare", bare_url, n, args.interval, args.step_seconds)
            i = await run_step("ingest", ingest_url, n, args.interval, args.step_seconds)
            bare_ms = f"{b.pct(0.5) * 1e3:>7.2f} {b.pct(0.99) * 1e3:>7.2f}"
            ingest_ms = f"{i.pct(0.5) * 1e3:>7.2f} {i.pct(0.99) * 1e3:>8.2f}"
            ratios = (
                f"{i.rate / b.rate if b.rate else 0:>11.2f} "
                f"{i.pct(0.5) / b.pct(0.5):>6.1f} {i.pct(0.99) / b.pct(0.99):>6.1f}"
            )
            out(
                f"{n:>6} | {b.rate:>10.1f} {bare_ms} | {i.rate:>12.1f} {ingest_ms} "
                f"{i.errors:>4} | {ratios} | {i.simulator_cores:>9.2f}"
            )
            if args.by_action:
                for action, values in sorted(i.by_action.items()):
                    values.sort()
                    out(
                        f"{'':>6}   ingest {action:<20} n={len(values):<6} "
                        f"p50 {values[len(values) // 2] * 1e3:7.2f} ms  "
                        f"p99 {values[int(len(values) * 0.99)] * 1e3:8.2f} ms"
                    )
            if i.pct(0.99) < 1.0 and i.errors == 0 and i.connected == n:
                held = n
                held_line = (
                    f"ingest p99 {i.pct(0.99) * 1e3:.0f} ms, throughput ratio "
                    f"{i.rate / b.rate if b.rate else 0:.2f}, simulator "
                    f"{i.simulator_cores:.2f} cores"
                )
            else:
                out(f"ingest p99 {i.pct(0.99):.2f} s or errors at N={n}: stopping")
                break
    finally:
        for proc in (bare, ingest):
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    out(
        f"\nsummary: {database}: largest N held with ingest p99 < 1 s: "
        f"{f'{held} ({held_line})' if held else 'none'}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps",
        default="100,250,500,1000,2000,3000,4000,6000,8000",
        help="charger counts to step through (default %(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=3.0,
        help="seconds between one charger's messages (default %(default)s)",
    )
    parser.add_argument(
        "--step-seconds",
        type=float,
        default=15.0,
        help="measured seconds per step and server (default %(default)s)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=600.0,
        help="time budget; no new step starts after it (default %(default)s)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="ingest database (default: a SQLite file in a temp dir)",
    )
    parser.add_argument(
        "--flush-ms",
        type=float,
        default=2.0,
        help="ingest writer: longest wait before a batch commits (default %(default)s)",
    )
    parser.add_argument(
        "--by-action", action="store_true", help="also print the ingest's latency per OCPP action"
    )
    parser.add_argument("--serve", choices=["ingest", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # The simulator holds as many websockets as the server, and its own full
    # garbage collections (500-750 ms at 10,000 chargers with Python's default
    # thresholds) stalled every charger it simulates: latency the server never
    # caused. It and the bare server collect as the ingest does
    # (IngestOptions.gc_thresholds), which sets its own when it starts.
    gc.set_threshold(*IngestOptions.gc_thresholds)
    if args.serve == "ingest":
        asyncio.run(serve_ingest(args.database_url, args.flush_ms))
        return 0
    if args.serve == "bare":
        asyncio.run(serve_bare())
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return asyncio.run(bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
