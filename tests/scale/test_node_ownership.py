"""Several ingest nodes on one database: the socket that connected last owns the
charger's row, the old node's late disconnect, touch or sweep never takes it
back, a node sweeps only its own chargers and those of nodes past their lease,
and a session started through one node ends through another."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

from sqlalchemy import update

from db import ocpp_connections, ocpp_nodes
from db.base import utcnow
from db.models import OcppTransactionState
from tests.ocpp.support import (
    RecordingGateway,
    charger,
    charging_point,
    eventually,
    pre_approve,
    raw_client,
    running_ingest,
)
from tests.scale.helpers import connect, lease, write

T0 = utcnow()


async def _stop_through(node, sim) -> None:
    """The charger reconnects to `node`, boots and stops its session on connector 1."""
    sim.url = node.url
    await sim.connect()
    try:
        await sim.boot()
        await sim.stop_session(1)
    finally:
        await sim.close()


def test_the_old_nodes_late_disconnect_and_touch_leave_the_new_owner(session_factory):
    pre_approve(session_factory, "CP-MOVED")
    cp_id = connect(session_factory, "CP-MOVED", "node-a", "conn-a", now=T0)
    connect(session_factory, "CP-MOVED", "node-b", "conn-b", now=T0)
    later = T0 + timedelta(seconds=5)
    write(session_factory, ocpp_connections.touch_many, node="node-a",
           seen={cp_id: later}, connections={cp_id: "conn-a"})
    write(session_factory, ocpp_connections.on_disconnect, cp_id=cp_id, node="node-a",
           connection="conn-a", now=later)
    cp = charging_point(session_factory, "CP-MOVED")
    assert (cp.online, cp.connected_node, cp.connection_id) == (True, "node-b", "conn-b")
    assert cp.last_seen_at == T0
    write(session_factory, ocpp_connections.on_disconnect, cp_id=cp_id, node="node-b",
           connection="conn-b", now=later)
    assert not charging_point(session_factory, "CP-MOVED").online


def test_a_node_sweeps_its_own_and_dead_nodes_chargers_never_a_live_nodes(session_factory):
    for ocpp_id in ("CP-OWN", "CP-LIVE", "CP-DEAD"):
        pre_approve(session_factory, ocpp_id)
    lease(session_factory, "node-a", 60)
    lease(session_factory, "node-b", 60)
    lease(session_factory, "node-c", -1)  # crashed: its lease ran out
    connect(session_factory, "CP-OWN", "node-a", "c1", now=T0)
    live_id = connect(session_factory, "CP-LIVE", "node-b", "c2", now=T0)
    connect(session_factory, "CP-DEAD", "node-c", "c3", now=T0)
    swept = write(session_factory, ocpp_connections.sweep_offline, node="node-a",
                   now=utcnow(), cutoff=T0 + timedelta(seconds=1))
    assert sorted(swept) == ["CP-DEAD", "CP-OWN"]
    assert charging_point(session_factory, "CP-LIVE").online
    # node-b's sweep, a node taken for dead that was not: its socket revives the row.
    write(session_factory, ocpp_connections.touch_many, node="node-b",
           seen={live_id: utcnow()}, connections={live_id: "c2"})
    assert charging_point(session_factory, "CP-LIVE").online


def test_the_owner_is_nobody_once_its_node_is_past_its_lease(session_factory):
    cp_id = pre_approve(session_factory, "CP-LEASE")
    lease(session_factory, "node-a", 60)
    connect(session_factory, "CP-LEASE", "node-a", "c1", now=T0)
    owner = write(session_factory, ocpp_nodes.current_owner, cp_id=cp_id, now=utcnow())
    assert owner == ocpp_nodes.Owner("node-a", "c1")
    lease(session_factory, "node-a", -1)
    assert write(session_factory, ocpp_nodes.current_owner, cp_id=cp_id, now=utcnow()) is None


async def test_a_charger_that_reconnects_to_another_node_is_owned_by_it_at_once(
    session_factory,
):
    pre_approve(session_factory, "CP-HOP")
    async with (
        running_ingest(session_factory, node_id="node-a") as a,
        running_ingest(session_factory, node_id="node-b") as b,
    ):
        async with AsyncExitStack() as old_socket:
            await old_socket.enter_async_context(raw_client(a, "CP-HOP"))
            await eventually(lambda: charging_point(session_factory, "CP-HOP").online)
            async with charger(b, "CP-HOP") as sim:
                assert charging_point(session_factory, "CP-HOP").connected_node == "node-b"
                await old_socket.aclose()  # node-a hears of its socket's end late
                await eventually(lambda: "CP-HOP" not in a.live)
                await sim.heartbeat()
                cp = charging_point(session_factory, "CP-HOP")
                assert (cp.online, cp.connected_node) == (True, "node-b")
        await eventually(lambda: not charging_point(session_factory, "CP-HOP").online)


async def test_a_session_started_through_one_node_ends_through_another(session_factory):
    pre_approve(session_factory, "CP-ROAM")
    gateway = RecordingGateway()
    async with (
        running_ingest(session_factory, gateway, node_id="node-a") as a,
        running_ingest(session_factory, gateway, node_id="node-b") as b,
    ):
        async with charger(a, "CP-ROAM", id_tags=["ACCEPTED-1"]) as sim:
            session = await sim.start_session(1)
            assert session.accepted
        await _stop_through(b, sim)
    assert [s.transaction_id for s in gateway.starts] == [str(session.transaction_id)]
    assert [s.transaction_id for s in gateway.stops] == [str(session.transaction_id)]


async def test_a_stop_reaches_the_workflow_when_the_dead_node_never_recorded_the_start(
    session_factory,
):
    """Node A answers the start, then dies before its buffered write of the
    outcome; the charger stops through node B, which must still tell the workflow."""
    pre_approve(session_factory, "CP-LOST-START")
    gateway = RecordingGateway()
    async with running_ingest(session_factory, gateway, node_id="node-a") as a:
        async with charger(a, "CP-LOST-START", id_tags=["ACCEPTED-1"]) as sim:
            session = await sim.start_session(1)
    with session_factory() as s, s.begin():  # what node A's SIGKILL would have lost
        s.execute(update(OcppTransactionState).values(session_started=False, auth_status=None))
    async with running_ingest(session_factory, gateway, node_id="node-b") as b:
        await _stop_through(b, sim)
    assert [s.transaction_id for s in gateway.stops] == [str(session.transaction_id)]
