"""Every access mode with organization, whitelisted, public, blocked and unknown
cards, asked by simulated chargers over real websockets (OCPP 1.6 and 2.0.1) and
answered by the real rules on the demo world; accepted sessions run through the
real session workflow and settle in the right category."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.demo import load_demo_data
from db.models import ChargingSession
from energycloud.settings import Settings
from ocpp_ingest.options import IngestOptions
from ocpp_ingest.server import IngestServer
from ocpp_ingest.simulator import SimulatedCharger
from tests.workflows.helpers import offset_transaction_ids, session_worker

pytestmark = pytest.mark.temporal

# (charger, its effective access mode, card) -> what the charger is told
MATRIX = [
    # Open (overridden on the charging point): anything, even blocked and unknown tags.
    ("PARK-OPEN-01", "open", "DEADBEEF", "Accepted"),
    ("PARK-OPEN-01", "open", "NL-TNM-C00999999-B", "Accepted"),
    ("PARK-OPEN-01", "open", "ACME-JAN-01", "Accepted"),
    # Whitelisting: only the home whitelist.
    ("ACME-HOME-001", "whitelisting", "ACME-JAN-01", "Accepted"),
    ("ACME-HOME-001", "whitelisting", "NL-TNM-C00122045-K", "Invalid"),
    ("ACME-HOME-001", "whitelisting", "PARK-STAFF-01", "Invalid"),
    ("ACME-HOME-001", "whitelisting", "DEADBEEF", "Invalid"),
    # Roaming: valid public tokens only.
    ("KORF-01", "roaming", "NL-TNM-C00122045-K", "Accepted"),
    ("KORF-01", "roaming", "NL-NUO-C12345678-X", "Accepted"),
    ("KORF-01", "roaming", "NL-TNM-C00999999-B", "Blocked"),
    ("KORF-01", "roaming", "ACME-JAN-01", "Invalid"),
    ("KORF-01", "roaming", "DEADBEEF", "Invalid"),
    # Roaming & Whitelisting: whitelisted cards and valid public tokens.
    ("ACME-DEPOT-01", "roaming_whitelisting", "ACME-JAN-01", "Accepted"),
    ("ACME-DEPOT-01", "roaming_whitelisting", "NL-NUO-C12345678-X", "Accepted"),
    ("ACME-DEPOT-01", "roaming_whitelisting", "ACME-OLD-07", "Blocked"),
    ("ACME-DEPOT-01", "roaming_whitelisting", "PARK-STAFF-01", "Invalid"),
    ("ACME-DEPOT-01", "roaming_whitelisting", "DEADBEEF", "Invalid"),
]

# Accepted sessions and the category they settle as (DOMAIN.md §5).
SESSIONS = [
    ("PARK-OPEN-01", "NL-TNM-C00122045-K", "free"),
    ("ACME-HOME-001", "ACME-JAN-01", "reimbursed"),
    ("KORF-01", "NL-NUO-C12345678-X", "roaming"),
    ("ACME-DEPOT-01", "ACME-JAN-01", "free"),
]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_access_modes_answer_each_kind_of_card(
    temporal_client, session_factory, task_queue, version
):
    load_demo_data(session_factory, password="pw")
    for ocpp_id, _, _ in SESSIONS:
        offset_transaction_ids(session_factory, ocpp_id)
    options = IngestOptions(port=0, flush_ms=5)
    async with session_worker(temporal_client, session_factory, task_queue) as gateway:
        server = IngestServer(Settings(), session_factory, gateway, f"node-{task_queue}",
                              temporal_client=temporal_client, options=options)
        async with server:
            chargers = {}
            for ocpp_id in {row[0] for row in MATRIX}:
                sim = SimulatedCharger(ocpp_id, "pw", version, server.url, energy_rate_w=0)
                await sim.connect()
                assert await sim.boot_until_accepted(timeout_s=10) == "Accepted"
                chargers[ocpp_id] = sim
            try:
                answers = {
                    (ocpp_id, card): await chargers[ocpp_id].authorize(card)
                    for ocpp_id, _, card, _ in MATRIX
                }
                for ocpp_id, card, _ in SESSIONS:
                    sim = chargers[ocpp_id]
                    sim.meters[1] = 5_000
                    session = await sim.start_session(1, card)
                    assert session.accepted, (ocpp_id, card)
                    sim.meters[1] += 2_500
                    await sim.stop_session(1)
            finally:
                await asyncio.gather(*(sim.close() for sim in chargers.values()))
            expected = {(ocpp_id, card): status for ocpp_id, _, card, status in MATRIX}
            assert answers == expected
            categories = await _settled_categories(session_factory, len(SESSIONS))
    assert categories == {(ocpp_id, card): category for ocpp_id, card, category in SESSIONS}


async def _settled_categories(factory, count: int, timeout_s: float = 30):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        with factory() as s:
            rows = s.execute(select(ChargingSession.ocpp_id, ChargingSession.id_tag,
                                    ChargingSession.category, ChargingSession.energy_wh)
                             .where(ChargingSession.state == "finished")).all()
        if len(rows) >= count or loop.time() > deadline:
            assert all(energy == 2_500 for *_, energy in rows)
            return {(ocpp_id, tag): category for ocpp_id, tag, category, _ in rows}
        await asyncio.sleep(0.1)
