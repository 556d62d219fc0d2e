"""Remote actions with several ingest nodes: they go to the node that holds the
charger's socket now, and one whose node lost the socket (or died, or whose
charger moved while it ran) is answered `offline`, not after a timeout."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import RemoteCommand
from ocpp_ingest.remote_actions import RemoteActions
from tests.ocpp.support import charger, charging_point, eventually, pre_approve, running_ingest
from tests.scale.helpers import connect, lease

pytestmark = pytest.mark.temporal
WHO = "ops@platform.example"


def _command(session_factory) -> RemoteCommand | None:
    with session_factory() as s:
        return s.scalars(select(RemoteCommand)).one_or_none()


async def test_an_action_follows_the_charger_to_its_new_node(
    session_factory, temporal_client, task_queue
):
    cp_id = pre_approve(session_factory, "CP-FOLLOW")
    actions = RemoteActions(temporal_client, session_factory, timeout_s=20)
    async with (
        running_ingest(session_factory, node_id=f"{task_queue}-a",
                       temporal_client=temporal_client) as a,
        running_ingest(session_factory, node_id=f"{task_queue}-b",
                       temporal_client=temporal_client) as b,
    ):
        async with charger(a, "CP-FOLLOW"):
            pass
        async with charger(b, "CP-FOLLOW") as sim:
            outcome = await actions.request_status(cp_id, requested_by=WHO)
    assert outcome.status == "accepted"
    assert [action for action, _ in sim.remote_calls] == ["TriggerMessage"]
    assert _command(session_factory).node == f"{task_queue}-b"


async def test_a_node_that_lost_the_socket_answers_offline(
    session_factory, temporal_client, task_queue
):
    cp_id = pre_approve(session_factory, "CP-LOST")
    async with running_ingest(session_factory, node_id=task_queue,
                              temporal_client=temporal_client):
        connect(session_factory, "CP-LOST", task_queue, "a-socket-it-no-longer-has", now=utcnow())
        outcome = await RemoteActions(temporal_client, session_factory, timeout_s=20).reset(
            cp_id, requested_by=WHO)
    assert (outcome.status, _command(session_factory).node) == ("offline", task_queue)


async def test_a_charger_on_a_node_past_its_lease_is_offline(
    session_factory, temporal_client, task_queue
):
    cp_id = pre_approve(session_factory, "CP-CRASHED")
    lease(session_factory, f"{task_queue}-dead", -1)
    connect(session_factory, "CP-CRASHED", f"{task_queue}-dead", "c1", now=utcnow())
    outcome = await RemoteActions(temporal_client, session_factory, timeout_s=20).reset(
        cp_id, requested_by=WHO)
    assert outcome.status == "offline"
    assert _command(session_factory).node is None


async def test_an_action_whose_charger_moves_while_it_waits_is_offline(
    session_factory, temporal_client, task_queue
):
    cp_id = pre_approve(session_factory, "CP-MIDWAY")
    silent = f"{task_queue}-killed"  # leased, but no worker polls its queue any more
    lease(session_factory, silent, 60)
    connect(session_factory, "CP-MIDWAY", silent, "c1", now=utcnow())
    actions = RemoteActions(temporal_client, session_factory, timeout_s=20)
    pending = asyncio.create_task(actions.request_status(cp_id, requested_by=WHO))
    await eventually(lambda: getattr(_command(session_factory), "workflow_id", None), timeout=10)
    # it reconnected there
    connect(session_factory, "CP-MIDWAY", f"{task_queue}-other", "c2", now=utcnow())
    outcome = await asyncio.wait_for(pending, timeout=15)
    assert outcome.status == "offline"
    assert charging_point(session_factory, "CP-MIDWAY").connected_node == f"{task_queue}-other"
    handle = temporal_client.get_workflow_handle(_command(session_factory).workflow_id)
    assert (await handle.describe()).status.name == "TERMINATED"
