"""The ingest writer's batched statements: status reports of many chargers in one
batch go in as one executemany, and what one row count cannot tell (a connector
the charging point did not have, a report older than the one held) is decided
per item. A slow batch is logged with what it held."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db import ocpp_messages
from db.base import utcnow
from db.models import Connector, ConnectorStatusHistory, OcppNode
from ocpp_ingest.writer import DbWriter
from tests.ocpp.support import pre_approve, rows

T0 = datetime(2026, 10, 1, 8, tzinfo=UTC)


async def test_one_batch_of_status_reports_sets_each_connector_once_and_keeps_every_report(
    session_factory,
):
    a = pre_approve(session_factory, "CP-BATCH-A", connectors=1)
    b = pre_approve(session_factory, "CP-BATCH-B", connectors=1)
    writer = DbWriter(session_factory, flush_rows=100, flush_ms=200)
    writer.start()

    def report(cp_id, connector, status, at):
        params = ocpp_messages.connector_status_params(
            cp_id=cp_id, connector=connector, status=status, reported_at=at
        )
        row = ocpp_messages.status_history_row(
            cp_id=cp_id, connector=connector, status=status, error_code="NoError", info=None,
            vendor_error_code=None, reported_at=at,
        )
        return [
            writer.execute(
                ocpp_messages.CONNECTOR_STATUS_UPDATE, params,
                unmatched=ocpp_messages.add_unknown_connector,
            ),
            writer.insert_rows(ConnectorStatusHistory, [row]),
        ]

    try:
        # First a newer report for A's connector 1, so the batch's older one is late.
        await asyncio.gather(*report(a, 1, "Charging", T0 + timedelta(minutes=5)))
        batches = writer.batches
        await asyncio.gather(
            *report(a, 1, "Available", T0),  # older than the one held: kept in history only
            *report(b, 1, "Faulted", T0),
            *report(b, 2, "Preparing", T0),  # a connector B did not have yet
        )
        assert writer.batches == batches + 1
    finally:
        await writer.stop()

    current = {
        (c.charging_point_id, c.number): (c.status, c.status_at)
        for c in rows(session_factory, select(Connector))
    }
    assert current == {
        (a, 1): ("Charging", T0 + timedelta(minutes=5)),
        (b, 1): ("Faulted", T0),
        (b, 2): ("Preparing", T0),
    }
    assert len(rows(session_factory, select(ConnectorStatusHistory))) == 4


async def test_a_slow_batch_is_logged_with_what_it_held(session_factory, caplog):
    writer = DbWriter(session_factory, flush_rows=50, flush_ms=50, slow_batch_ms=0)
    writer.start()
    now = utcnow()
    nodes = [{"node_id": f"slow-{i}", "alive_until": now, "started_at": now} for i in (1, 2)]
    try:
        with caplog.at_level(logging.WARNING, logger="ocpp_ingest.writer"):
            await asyncio.gather(writer.insert_rows(OcppNode, nodes), writer.run(lambda s: None))
    finally:
        await writer.stop()
    (line,) = [r.getMessage() for r in caplog.records if "slow write" in r.getMessage()]
    assert "for a batch of 2 rows of OcppNode, 1 <lambda>" in line
