"""Remote actions (DOMAIN.md §9) end to end: `RemoteActions` records the command,
routes it through a real Temporal dev server to the ingest node's own task queue,
the node sends the OCPP call over the live socket, and the outcome is recorded."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from db.models import ChargingPoint, ConnectorStatusHistory, RemoteCommand
from ocpp_ingest.remote_actions import RemoteActions
from tests.ocpp.support import (
    RecordingGateway,
    charger,
    charging_point,
    eventually,
    pre_approve,
    raw_client,
    rows,
    running_ingest,
)

pytestmark = pytest.mark.temporal
WHO = "support@partner.example"


def _commands(session_factory) -> list[RemoteCommand]:
    return rows(session_factory, select(RemoteCommand).order_by(RemoteCommand.id))


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_every_charging_point_action_reaches_the_charger(
    session_factory, temporal_client, task_queue, version
):
    cp_id = pre_approve(session_factory, "CP-REMOTE", connectors=2)
    actions = RemoteActions(temporal_client, session_factory, timeout_s=20)
    async with running_ingest(
        session_factory, node_id=task_queue, temporal_client=temporal_client
    ) as server:
        async with charger(server, "CP-REMOTE", version, connectors=2) as sim:
            outcome = await actions.request_status(cp_id, requested_by=WHO)
            assert (outcome.status, outcome.ocpp_action, outcome.answer) == (
                "accepted",
                "TriggerMessage",
                {"status": "Accepted"},
            )
            await eventually(
                lambda: len(rows(session_factory, select(ConnectorStatusHistory))) >= 2
            )

            assert (await actions.deactivate(cp_id, requested_by=WHO)).status == "accepted"
            assert (await actions.activate(cp_id, requested_by=WHO)).status == "accepted"
            outcome = await actions.reset(cp_id, requested_by=WHO)
            assert (outcome.status, outcome.ocpp_action) == ("accepted", "Reset")
            await eventually(lambda: sim.stats.boots["Accepted"] == 2)  # it rebooted

    received = [(action, payload) for action, payload in sim.remote_calls]
    if version == "1.6":
        assert received == [
            ("TriggerMessage", {"requested_message": "StatusNotification", "connector_id": None}),
            ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"}),
            ("ChangeAvailability", {"connector_id": 0, "type": "Operative"}),
            ("Reset", {"type": "Hard"}),
        ]
    else:
        assert received == [
            ("TriggerMessage", {"requested_message": "StatusNotification", "evse": None}),
            ("ChangeAvailability", {"operational_status": "Inoperative", "evse": None}),
            ("ChangeAvailability", {"operational_status": "Operative", "evse": None}),
            ("Reset", {"type": "Immediate"}),
        ]
    commands = _commands(session_factory)
    assert [(c.action, c.connector, c.status, c.requested_by, c.node) for c in commands] == [
        (a, None, "accepted", WHO, task_queue)
        for a in ("request_status", "deactivate", "activate", "reset")
    ]
    assert all(c.finished_at >= c.requested_at and c.workflow_id for c in commands)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_every_connector_action_reaches_the_charger(
    session_factory, temporal_client, task_queue, version
):
    cp_id = pre_approve(session_factory, "CP-CONN", connectors=2)
    gateway = RecordingGateway()
    actions = RemoteActions(temporal_client, session_factory, timeout_s=20, gateway=gateway)
    async with running_ingest(
        session_factory, gateway, node_id=task_queue, temporal_client=temporal_client
    ) as server:
        async with charger(server, "CP-CONN", version, connectors=2) as sim:
            assert (await actions.request_status(cp_id, 2, requested_by=WHO)).status == "accepted"
            assert (await actions.deactivate(cp_id, 2, requested_by=WHO)).status == "accepted"
            assert (await actions.activate(cp_id, 2, requested_by=WHO)).status == "accepted"
            unlock = await actions.unlock(cp_id, 1, requested_by=WHO)
            assert (unlock.status, unlock.answer) == ("accepted", {"status": "Unlocked"})

            session = await sim.start_session(1, "ACCEPTED-1")
            stop = await actions.remote_stop(cp_id, 1, requested_by=WHO)
            assert (stop.status, stop.answer) == ("accepted", {"status": "Accepted"})
            await eventually(lambda: gateway.stops)
            assert gateway.stops[0].transaction_id == str(session.transaction_id)
            assert gateway.stops[0].reason == "Remote"
            # The session workflow hears of the request too (it closes the session
            # itself if the charger's stop never comes).
            ((ocpp_id, tid, request),) = gateway.stop_requests
            assert (ocpp_id, tid, request.requested_by) == (
                "CP-CONN",
                str(session.transaction_id),
                WHO,
            )

            # OCPP 2.0.1 never unlocks under a running transaction: rejected.
            await sim.start_session(1, "ACCEPTED-1")
            unlock = await actions.unlock(cp_id, 1, requested_by=WHO)
            if version == "1.6":
                assert unlock.status == "accepted"
                await eventually(lambda: len(gateway.stops) == 2)
                assert gateway.stops[1].reason == "UnlockCommand"
            else:
                assert (unlock.status, unlock.answer) == (
                    "rejected",
                    {"status": "OngoingAuthorizedTransaction"},
                )

    kinds = [name for name, _ in sim.remote_calls]
    expected_stop = "RemoteStopTransaction" if version == "1.6" else "RequestStopTransaction"
    assert kinds == [
        "TriggerMessage",
        "ChangeAvailability",
        "ChangeAvailability",
        "UnlockConnector",
        expected_stop,
        "UnlockConnector",
    ]
    trigger, deactivate = sim.remote_calls[0][1], sim.remote_calls[1][1]
    if version == "1.6":
        assert trigger["connector_id"] == 2 and deactivate["connector_id"] == 2
        assert sim.remote_calls[4][1] == {"transaction_id": session.transaction_id}
    else:
        assert trigger["evse"] == {"id": 2, "connector_id": 1}
        assert deactivate["evse"] == {"id": 2}
        assert sim.remote_calls[4][1] == {"transaction_id": session.transaction_id}
    assert [c.connector for c in _commands(session_factory)] == [2, 2, 2, 1, 1, 1]


async def test_remote_stop_without_a_running_transaction_is_not_sent(
    session_factory, temporal_client, task_queue
):
    cp_id = pre_approve(session_factory, "CP-IDLE")
    actions = RemoteActions(temporal_client, session_factory, timeout_s=20)
    async with running_ingest(
        session_factory, node_id=task_queue, temporal_client=temporal_client
    ) as server:
        async with charger(server, "CP-IDLE", "1.6") as sim:
            outcome = await actions.remote_stop(cp_id, 1, requested_by=WHO)
    assert (outcome.status, outcome.answer) == (
        "failed",
        {"reason": "no running transaction on connector 1"},
    )
    assert sim.remote_calls == []


async def test_offline_charger_is_recorded_offline_without_calling_it(
    session_factory, temporal_client
):
    cp_id = pre_approve(session_factory, "CP-ASLEEP")
    outcome = await RemoteActions(temporal_client, session_factory).reset(cp_id, requested_by=WHO)
    assert (outcome.status, outcome.answer) == (
        "offline",
        {"reason": "charging point CP-ASLEEP is not connected"},
    )
    (command,) = _commands(session_factory)
    assert command.node is None and command.finished_at is not None


async def _answer_next_call(client, reply) -> list:
    """Read the CSMS's call on a raw socket and answer it with `reply(call)`."""
    call = await client.recv(timeout=10)
    if reply is not None:
        await client.send(json.dumps(reply(call)))
    return call


@pytest.mark.parametrize(
    ("reply", "status", "answer"),
    [
        (lambda c: [3, c[1], {"status": "Rejected"}], "rejected", {"status": "Rejected"}),
        (
            lambda c: [4, c[1], "NotSupported", "no", {}],
            "failed",
            {"errorCode": "NotSupported", "errorDescription": "no", "errorDetails": {}},
        ),
        (None, "timed_out", {"reason": "no answer within 1 s"}),
    ],
    ids=["rejected", "call-error", "silent"],
)
async def test_charger_refusals_and_silence_are_recorded(
    session_factory, temporal_client, task_queue, reply, status, answer
):
    cp_id = pre_approve(session_factory, "CP-RAWCMD")
    actions = RemoteActions(temporal_client, session_factory, timeout_s=1)
    async with running_ingest(
        session_factory, node_id=task_queue, temporal_client=temporal_client
    ) as server:
        async with raw_client(server, "CP-RAWCMD") as client:
            await eventually(lambda: "CP-RAWCMD" in server.live)
            await eventually(lambda: charging_point(session_factory, "CP-RAWCMD").online)
            command = asyncio.create_task(actions.deactivate(cp_id, requested_by=WHO))
            call = await _answer_next_call(client, reply)
            outcome = await command
    assert call[0] == 2 and call[2:] == [
        "ChangeAvailability",
        {"connectorId": 0, "type": "Inoperative"},
    ]
    assert (outcome.status, outcome.answer) == (status, answer)


async def test_a_dead_node_times_out(session_factory, temporal_client, task_queue):
    cp_id = pre_approve(session_factory, "CP-ORPHAN")
    with session_factory() as s, s.begin():
        cp = s.get(ChargingPoint, cp_id)
        cp.online, cp.connected_node = True, f"{task_queue}-crashed"  # no worker there
    outcome = await RemoteActions(temporal_client, session_factory, timeout_s=0.5).request_status(
        cp_id, requested_by=WHO
    )
    assert outcome.status == "timed_out"
    (command,) = _commands(session_factory)
    assert command.node == f"{task_queue}-crashed" and command.answer["reason"]


async def test_actions_that_do_not_exist_at_a_level_are_refused(session_factory, temporal_client):
    actions = RemoteActions(temporal_client, session_factory)
    with pytest.raises(ValueError):
        await actions.reset(1, 1, requested_by=WHO)
    with pytest.raises(ValueError):
        await actions.remote_stop(1, requested_by=WHO)
    with pytest.raises(LookupError):
        await actions.reset(424242, requested_by=WHO)
