"""The ingest's database path alone: N chargers' StatusNotifications written
through the ingest's writer (`ocpp_ingest.writer.DbWriter`) exactly as the ingest
writes them, without websockets or OCPP, so the database's share of the ingest's
cost can be measured on a machine where the full load bench is noisy.

    python bench/ingest_writer.py                     # SQLite file in a temp dir
    python bench/ingest_writer.py --database-url postgresql://postgres@127.0.0.1/bench

Prints reports/s, batches and the CPU this process used per round."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from sqlalchemy import select  # noqa: E402

from db import ocpp_messages  # noqa: E402
from db.base import make_engine, make_sessionmaker  # noqa: E402
from db.demo import bare_location  # noqa: E402
from db.models import ChargingPoint, Connector, ConnectorStatusHistory  # noqa: E402
from db.schema import reset_schema  # noqa: E402
from domain.enums import ChargingPointState  # noqa: E402
from ocpp_ingest.writer import DbWriter  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def seed(factory, count: int) -> list[int]:
    with factory() as s, s.begin():
        location = bare_location(s, customer="Bench", organization="Bench", location="Bench")
        s.add_all(
            ChargingPoint(
                ocpp_id=f"W-{i:05d}", customer_id=location.customer_id,
                location_id=location.id, state=ChargingPointState.PRE_APPROVED,
                connectors=[Connector(number=1)],
            )
            for i in range(count)
        )
    with factory() as s:
        return list(s.scalars(select(ChargingPoint.id)))


async def status(writer: DbWriter, cp_id: int, at: datetime) -> None:
    """What `IngestChargePoint._status` submits for a connector's report."""
    row = ocpp_messages.status_history_row(
        cp_id=cp_id, connector=1, status="Available", error_code="NoError", info=None,
        vendor_error_code=None, reported_at=at,
    )
    params = ocpp_messages.connector_status_params(
        cp_id=cp_id, connector=1, status="Available", reported_at=at
    )
    await asyncio.gather(
        writer.insert_rows(ConnectorStatusHistory, [row]),
        writer.execute(
            ocpp_messages.CONNECTOR_STATUS_UPDATE, params,
            unmatched=ocpp_messages.add_unknown_connector,
        ),
    )


async def run(args) -> None:
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='writer-bench-')}/b.db"
    engine = make_engine(url)
    print(f"config: database {engine.dialect.name}; {args.chargers} chargers, one status "
          f"report each per round, {args.rounds} rounds; writer flush {args.flush_ms:g} ms",
          flush=True)
    reset_schema(engine)
    factory = make_sessionmaker(engine)
    ids = seed(factory, args.chargers)
    writer = DbWriter(factory, flush_ms=args.flush_ms)
    writer.start()
    rates = []
    try:
        for k in range(args.rounds):
            batches, cpu, began = writer.batches, time.process_time(), time.perf_counter()
            at = T0 + timedelta(seconds=k)
            await asyncio.gather(*(status(writer, cp_id, at) for cp_id in ids))
            seconds = time.perf_counter() - began
            rates.append(len(ids) / seconds)
            print(f"round {k + 1}: {len(ids)} reports in {seconds:.2f} s = {rates[-1]:.0f}/s, "
                  f"{writer.batches - batches} batches, {time.process_time() - cpu:.2f} s CPU",
                  flush=True)
    finally:
        await writer.stop()
        engine.dispose()
    print(f"summary: {engine.dialect.name}: best {max(rates):.0f} status reports/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flush-ms", type=float, default=2.0)
    parser.add_argument("--database-url", default=None,
                        help="default: a temporary SQLite file")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
