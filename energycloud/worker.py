"""The platform's Temporal worker: every workflow and activity of
workflows/registry.py on the platform task queue (`energycloud worker`).

SIGTERM or SIGINT stops polling and lets running activities finish (up to a
grace period) before the process exits, so `energycloud up` and container
orchestrators can stop it cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from db.base import make_engine, make_sessionmaker
from energycloud.settings import Settings, configure_libraries, mail_config
from workflows.temporal_client import connect_temporal

log = logging.getLogger(__name__)

# Synchronous activities (database work) run on this many threads; the worker
# takes no more activity tasks than it has threads for.
MAX_CONCURRENT_ACTIVITIES = 32
GRACEFUL_SHUTDOWN = timedelta(seconds=10)
# How the worker polls for workflow tasks. A session's first task (its
# authorization, while the charger waits) comes from the task queue itself; its
# later ones from the worker's sticky queue. The SDK's default (5 polls, a fifth
# of them on the task queue) left new sessions' first tasks waiting for that one
# poll under load: 74-88 ms from start to task, against 31-38 ms with 10 polls
# split evenly (bench/session_throughput.py's sessions, PostgreSQL, issue 14).
WORKFLOW_TASK_POLLS = 10
NONSTICKY_TO_STICKY_POLL_RATIO = 1.0


def worker_options() -> dict:
    """The Worker's tuning, shared with bench/session_throughput.py."""
    from temporalio.worker import PollerBehaviorSimpleMaximum

    return {
        "max_concurrent_activities": MAX_CONCURRENT_ACTIVITIES,
        "workflow_task_poller_behavior": PollerBehaviorSimpleMaximum(WORKFLOW_TASK_POLLS),
        "nonsticky_to_sticky_poll_ratio": NONSTICKY_TO_STICKY_POLL_RATIO,
    }


def worker_engine(url: str) -> Engine:
    """The worker's database engine: a pooled connection kept for every activity
    thread. With SQLAlchemy's default pool (5 kept, 10 more opened and closed
    again per use) the session bench opened a new PostgreSQL connection (a
    server process) for every third session (issue 14)."""
    return make_engine(url, pool_pre_ping=True, pool_size=MAX_CONCURRENT_ACTIVITIES)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (by default: until SIGTERM or SIGINT)."""
    from workflows.registry import all_activities, all_workflows

    configure_libraries(settings)
    if stop is None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
    engine = worker_engine(settings.database_url)
    try:
        session_factory = make_sessionmaker(engine)
        workflows = all_workflows()
        from energycloud.payments import payment_providers

        activities = all_activities(
            session_factory,
            payment_providers(settings, session_factory),
            mail=mail_config(settings),
        )
        client = await connect_temporal(settings.temporal_address, settings.temporal_namespace)
        await _ensure_schedules(client, settings)
        if not workflows and not activities:
            log.warning(
                "No workflows or activities registered in workflows/registry.py; "
                "the worker idles until stopped"
            )
            await stop.wait()
            return
        with ThreadPoolExecutor(
            max_workers=MAX_CONCURRENT_ACTIVITIES, thread_name_prefix="activity"
        ) as executor:
            worker = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=workflows,
                activities=activities,
                activity_executor=executor,
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
                **worker_options(),
            )
            log.info(
                "Worker polling task queue %r on %s (namespace %s): workflows %s; %d activities",
                settings.task_queue,
                settings.temporal_address,
                settings.temporal_namespace,
                ", ".join(w.__name__ for w in workflows) or "none",
                len(activities),
            )
            await _run_until_stopped(worker, stop)
    finally:
        engine.dispose()


async def _ensure_schedules(client: Client, settings: Settings) -> None:
    """The monthly settlement schedule exists whenever the platform runs."""
    from workflows.settlement_schedule import ensure_settlement_schedule

    try:
        await ensure_settlement_schedule(
            client, task_queue=settings.task_queue, work_dir=str(settings.settlement_path)
        )
    except Exception:  # noqa: BLE001 - sessions must be served even so
        log.exception("Could not create the monthly settlement schedule; settle by hand "
                      "(energycloud settle --period YYYY-MM) until it exists")


async def _run_until_stopped(worker: Worker, stop: asyncio.Event) -> None:
    running = asyncio.create_task(worker.run(), name="temporal-worker")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if running in done:
        stopping.cancel()
        running.result()  # a worker that ends on its own has failed: raise why
        return
    log.info("Stopping worker; running activities get %s to finish", GRACEFUL_SHUTDOWN)
    await worker.shutdown()
    await running
    log.info("Worker stopped")
