"""Session workflow throughput against the real Temporal dev server.

Runs N complete ChargingSession workflows (authorize → stop → price → split →
settle, on a SQLite or PostgreSQL database with the demo world) and, in the same
run on the same server, N bare workflows of three no-op activities. Prints the
throughput ratio (sessions/s ÷ bare/s; aim ≥ 0.8) and p50/p99 of the
start-to-answer latency of the authorization step (update-with-start).

    .venv/bin/python bench/session_throughput.py --sessions 200 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("EC_ARGON2_TIME_COST", "1")
os.environ.setdefault("EC_ARGON2_MEMORY_KIB", "1024")

from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

# The repository root instead of bench/ (put first by Python for a script):
# bench/settlement.py would shadow the settlement package.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
from bench.bare_workflow import BareWorkflow, noop  # noqa: E402
from db.base import make_sessionmaker  # noqa: E402
from db.demo import load_demo_data  # noqa: E402
from db.schema import reset_schema  # noqa: E402
from energycloud.temporal_cli import temporal_binary  # noqa: E402
from energycloud.worker import MAX_CONCURRENT_ACTIVITIES, worker_engine, worker_options  # noqa: E402
from workflows.registry import all_activities, all_workflows  # noqa: E402
from workflows.session_gateway import SessionGateway  # noqa: E402
from workflows.session_types import SessionStart, SessionStop  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def bounded(n: int, concurrency: int, make):
    sem = asyncio.Semaphore(concurrency)

    async def one(i):
        async with sem:
            return await make(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


async def run_bare(client, n, concurrency):
    queue = f"bench-bare-{uuid.uuid4()}"
    with ThreadPoolExecutor(32) as pool:
        async with Worker(client, task_queue=queue, workflows=[BareWorkflow],
                          activities=[noop], activity_executor=pool):
            t0 = time.perf_counter()
            await bounded(n, concurrency, lambda i: client.execute_workflow(
                BareWorkflow.run, str(i), id=f"bare-{queue}-{i}", task_queue=queue))
            return n / (time.perf_counter() - t0)


async def run_sessions(client, factory, n, concurrency):
    queue = f"bench-session-{uuid.uuid4()}"
    gateway = SessionGateway(client=client, session_factory=factory, task_queue=queue)
    latencies: list[float] = []
    points = ["ACME-DEPOT-01", "ACME-DEPOT-02", "PARK-P1-01", "PARK-P1-02", "KORF-01"]
    started = datetime(2026, 10, 5, 8, tzinfo=UTC)

    async def one(i):
        ocpp_id, tx = points[i % len(points)], f"{queue}-{i}"
        t0 = time.perf_counter()
        answer = await gateway.start(SessionStart(
            ocpp_id=ocpp_id, transaction_id=tx, connector=1, id_tag="NL-TNM-C00122045-K",
            meter_start_wh=0, started_at=started.isoformat()))
        latencies.append((t0, time.perf_counter() - t0))
        assert answer.accepted, answer
        await gateway.stop(SessionStop(
            ocpp_id=ocpp_id, transaction_id=tx, meter_stop_wh=12_345,
            stopped_at=(started + timedelta(hours=1)).isoformat()))
        return await gateway.result(ocpp_id, tx)

    # As the platform's worker runs them (energycloud/worker.py).
    with ThreadPoolExecutor(MAX_CONCURRENT_ACTIVITIES) as pool:
        async with Worker(client, task_queue=queue, workflows=all_workflows(),
                          activities=all_activities(factory), activity_executor=pool,
                          **worker_options()):
            t0 = time.perf_counter()
            results = await bounded(n, concurrency, one)
            rate = n / (time.perf_counter() - t0)
    assert all(r.consumer_price_cents > 0 for r in results)
    # In the order the starts were made: the first `concurrency` of them meet a
    # worker that has just started (empty pools and caches).
    return rate, [latency for _, latency in sorted(latencies)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate baseline and sessions this many times (noisy machines)")
    parser.add_argument("--database-url", default=None,
                        help="default: a temporary SQLite file; e.g. postgresql://postgres@127.0.0.1/test")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ec-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    engine = worker_engine(url)  # the worker's engine and pool
    tuning = worker_options()
    print(f"config: database {engine.dialect.name} (pool {engine.pool.size()}); worker as "
          f"energycloud/worker.py: {tuning['max_concurrent_activities']} activity threads, "
          f"{tuning['workflow_task_poller_behavior'].maximum} workflow-task polls "
          f"(non-sticky:sticky {tuning['nonsticky_to_sticky_poll_ratio']:g}); "
          f"N={args.sessions} per round, concurrency={args.concurrency}, {args.rounds} rounds; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}", flush=True)
    reset_schema(engine)
    factory = make_sessionmaker(engine)
    load_demo_data(factory, password="bench")

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_log_level="error", ui=False)
    try:
        client = env.client
        await run_bare(client, 10, 5)  # warm up
        rounds = []
        latencies: list[float] = []
        warm: list[float] = []  # after each round's first wave
        for _ in range(args.rounds):
            bare = await run_bare(client, args.sessions, args.concurrency)
            sessions, lat = await run_sessions(client, factory, args.sessions, args.concurrency)
            rounds.append((bare, sessions))
            latencies += lat
            warm += lat[args.concurrency:]
    finally:
        await env.shutdown()
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    for i, (bare, sessions) in enumerate(rounds, 1):
        print(f"round {i}: bare 3-activity workflow {bare:6.1f}/s, "
              f"charging session workflow {sessions:6.1f}/s, ratio {sessions / bare:.2f}")
    ratio = statistics.median(sessions / bare for bare, sessions in rounds)
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    w50, w99 = statistics.median(warm) * 1000, percentile(warm, 0.99) * 1000
    print(f"authorization after each round's first {args.concurrency} starts (a warm worker): "
          f"p50 {w50:.0f} ms, p99 {w99:.0f} ms")
    print(f"summary: {engine.dialect.name}: throughput ratio (median of rounds) {ratio:.2f} "
          f"(aim >= 0.8); authorization start-to-answer p50 {p50:.0f} ms, p99 {p99:.0f} ms "
          f"(aim < 500); load average {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    asyncio.run(main())
