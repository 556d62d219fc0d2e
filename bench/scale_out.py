"""Scale-out, measured (issue 12): two ingest nodes and two workers as separate
processes on PostgreSQL and the Temporal dev server; simulated chargers spread
over both run sessions; node 1 is SIGKILLed mid-run and its chargers move to
node 2; a worker is SIGKILLed a second later; remote actions are sent during and
after the move. Prints chargers, sessions (accepted, settled once), remote
actions (reached / offline), and how long the moved chargers took to be served
again (SIGKILL -> accepted BootNotification on the other node, p50 / max).

    .venv/bin/python bench/scale_out.py --chargers 200

The run is tests/scale/scenario.py, the one tests/scale/test_scale_out.py checks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

os.environ.setdefault("EC_ARGON2_TIME_COST", "1")
os.environ.setdefault("EC_ARGON2_MEMORY_KIB", "1024")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from db.base import make_engine, make_sessionmaker  # noqa: E402
from db.schema import reset_schema  # noqa: E402
from energycloud.temporal_cli import temporal_binary  # noqa: E402
from tests.scale.scenario import Plan, run_scale_out  # noqa: E402
from tests.scale.shape import ProcessShape  # noqa: E402
from tests.scale.test_scale_out import INGEST_ENV  # noqa: E402

PG_ADMIN = os.environ.get("EC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


async def main(args) -> None:
    name = f"ec_bench_scale_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    reset_schema(engine)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_log_level="error", ui=False
    )
    logs = Path(tempfile.mkdtemp(prefix="ec-scale-out-"))
    try:
        shape = ProcessShape.spawn(url, env.client, f"bench-{uuid.uuid4()}", nodes=2,
                                   workers=2, log_dir=logs, ingest_env=INGEST_ENV)
        try:
            plan = Plan(chargers=args.chargers, sessions=args.sessions)
            run = await run_scale_out(shape, make_sessionmaker(engine), env.client, plan,
                                      f"SB{uuid.uuid4().hex[:6]}")
        finally:
            shape.stop()
    finally:
        await env.shutdown()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(run.summary())
    print(f"logs in {logs}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=200, help="chargers with a session")
    asyncio.run(main(parser.parse_args()))
