"""Issue 12's run, shared by tests/scale/test_scale_out.py and bench/scale_out.py:
chargers spread over the ingest nodes of a `ProcessShape` run charging sessions;
ingest node 0 is SIGKILLed mid-run and its chargers move to the others; a worker
is SIGKILLed a moment later; remote actions are sent during and after the move;
then every session must settle. `ScaleOutRun` holds what happened, for the
caller to check and print."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from db.demo import load_demo_data
from db.models import ChargingPoint, ChargingSession
from db.tree_service import add_charging_point
from ocpp_ingest.remote_actions import RemoteActions
from tests.scale.fleet import Fleet, RoamingCharger
from tests.scale.shape import ProcessShape

PASSWORD = "scale-out-secret"
ID_TAG = "NL-TNM-C00122045-K"  # the demo world's roaming card: accepted and priced
DEMO_SITE = "ACME-DEPOT-01"  # the new chargers share its location (and rate)
REACHED = ("accepted", "rejected")


@dataclass(frozen=True)
class Plan:
    chargers: int = 200
    # The first `sessions` chargers (both nodes, both versions) run one session
    # each, started at random within `sessions_over_s` of the boots: some end
    # before the kill, some span it, some start after it.
    sessions: int = 200
    sessions_over_s: float = 10.0
    meter_values: int = 2
    meter_every_s: float = 2.0
    # Node 0 is killed once this many sessions run through it (so they end
    # through the other node), or `kill_after_s` after the boots at the latest.
    kill_when_running: int = 10
    kill_after_s: float = 15.0
    kill_worker_after_s: float = 1.0  # after the node
    # Remote actions during the move go to chargers without a session: one whose
    # transaction message waits on a slow session workflow has the answer read
    # only after it (the ingest handles a socket's frames in order), which on a
    # loaded machine outlasts the command's timeout and says nothing about
    # routing. Those after the move go to any charger, once sessions are done.
    actions_during: int = 20  # right after the kill: most to the killed node's chargers
    actions_after: int = 20  # once the moved chargers are served and sessions done
    action_timeout_s: float = 30.0  # the charger's answer, on a starved machine
    settle_timeout_s: float = 60.0


@dataclass
class ScaleOutRun:
    plan: Plan
    fleet: Fleet
    killed_at: float = 0.0
    outcomes_during: list[str] = field(default_factory=list)
    outcomes_after: list[str] = field(default_factory=list)
    settled: list[ChargingSession] = field(default_factory=list)
    startup_s: float = 0.0  # processes up and the database loaded
    took_s: float = 0.0  # everything, startup included

    @property
    def moved(self) -> list[RoamingCharger]:
        return self.fleet.on_node(0)

    @property
    def served_again_s(self) -> list[float]:
        """Per moved charger: SIGKILL of its node -> accepted boot on another."""
        return sorted(
            next(s.at for s in c.served if s.at > self.killed_at) - self.killed_at
            for c in self.moved
        )

    @property
    def accepted(self):
        return [s for s in self.fleet.sessions if s.accepted]

    def running_on(self, node: int):
        return [s for s in self.accepted if s.started_on == node and s.stopped_on is None]

    @property
    def crossed(self):
        return [s for s in self.accepted if s.started_on != s.stopped_on]

    def summary(self) -> str:
        during, after = Counter(self.outcomes_during), Counter(self.outcomes_after)
        settled = Counter((r.ocpp_id, r.transaction_id) for r in self.settled)
        reached = sum(n for o, n in (during + after).items() if o in REACHED)
        again = self.served_again_s
        return "\n".join([
            f"chargers        {len(self.fleet.chargers)} on 2 nodes; {len(self.moved)} moved "
            "from the killed node",
            f"sessions        {len(self.fleet.sessions)} started, {len(self.accepted)} accepted, "
            f"{len(settled)} settled, {sum(1 for n in settled.values() if n > 1)} more than once; "
            f"{len(self.crossed)} started through the killed node, ended through the other",
            f"remote actions  {sum(during.values())} during the move "
            f"{dict(during)}, {sum(after.values())} after {dict(after)}: {reached} reached, "
            f"{during['offline'] + after['offline']} offline",
            f"served again    p50 {statistics.median(again):.2f} s, max {max(again):.2f} s "
            "from SIGKILL to an accepted boot on the other node" if again else "served again -",
            f"redelivered     {sum(c.retries for c in self.fleet.chargers)} messages the CSMS "
            "failed to process",
            f"time            {self.startup_s:.1f} s to start the processes, {self.took_s:.1f} s "
            "in all",
        ])


def seed(session_factory, prefix: str, count: int) -> dict[str, int]:
    """The demo world plus `count` chargers `<prefix>-NNN` at the demo depot:
    OCPP id -> charging point id."""
    load_demo_data(session_factory, password="demo")
    with session_factory() as s, s.begin():
        location_id = s.scalar(
            select(ChargingPoint.location_id).where(ChargingPoint.ocpp_id == DEMO_SITE)
        )
        added = [
            add_charging_point(s, location_id=location_id, ocpp_id=f"{prefix}-{i:03d}",
                               password=PASSWORD, connectors=1)
            for i in range(count)
        ]
        s.flush()
        return {cp.ocpp_id: cp.id for cp in added}


async def run_scale_out(
    shape: ProcessShape, session_factory, client, plan: Plan, prefix: str
) -> ScaleOutRun:
    """Run `plan` on a `shape` just spawned (its processes start while the
    database is loaded)."""
    started = time.monotonic()
    cp_ids = await asyncio.to_thread(seed, session_factory, prefix, plan.chargers)
    await shape.ready(client)
    fleet = Fleet.build(list(cp_ids), PASSWORD, shape.urls, ID_TAG)
    run = ScaleOutRun(plan, fleet, startup_s=time.monotonic() - started)
    actions = RemoteActions(client, session_factory, timeout_s=plan.action_timeout_s)
    await asyncio.gather(*(c.start() for c in fleet.chargers))

    async def sessions(c: RoamingCharger) -> None:
        await asyncio.sleep(random.uniform(0, plan.sessions_over_s))
        await c.run_session(ID_TAG, plan.meter_values, plan.meter_every_s)

    async def act(chosen: list[RoamingCharger], into: list[str], at_once: int) -> None:
        """A remote action on each of `chosen`, `at_once` at a time."""
        gate = asyncio.Semaphore(at_once)

        async def one(c: RoamingCharger) -> None:
            async with gate:
                outcome = await actions.request_status(cp_ids[c.sim.ocpp_id],
                                                       requested_by="ops@scale.example")
            into.append(outcome.status)

        await asyncio.gather(*(one(c) for c in chosen))

    driving = asyncio.gather(*(sessions(c) for c in fleet.chargers[: plan.sessions]))
    try:
        deadline = time.monotonic() + plan.kill_after_s
        while len(run.running_on(0)) < plan.kill_when_running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        moved = fleet.on_node(0)
        shape.kill_node(0)
        run.killed_at = time.monotonic()
        idle = fleet.chargers[plan.sessions :] or fleet.chargers
        chosen = [c for c in idle if c in moved][: plan.actions_during * 3 // 4] + [
            c for c in idle if c not in moved
        ][: plan.actions_during // 4]
        during = asyncio.create_task(act(chosen, run.outcomes_during, len(chosen)))
        await asyncio.sleep(plan.kill_worker_after_s)
        shape.kill_worker(0)
        while not all(any(s.at > run.killed_at for s in c.served) for c in moved):
            await asyncio.sleep(0.05)
        await during
        await driving
        await act(random.sample(fleet.chargers, plan.actions_after), run.outcomes_after, 4)
    finally:
        driving.cancel()
        await asyncio.gather(*(c.close() for c in fleet.chargers))
    run.settled = await _settled(
        session_factory, prefix, len(run.accepted), plan.settle_timeout_s
    )
    run.took_s = time.monotonic() - started
    return run


async def _settled(
    session_factory, prefix: str, expected: int, timeout_s: float
) -> list[ChargingSession]:
    """The finished sessions of our chargers, once there are `expected` (or the
    time is up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with session_factory() as s:
            rows = list(s.scalars(select(ChargingSession).where(
                ChargingSession.state == "finished",
                ChargingSession.ocpp_id.startswith(f"{prefix}-"))))
        if len(rows) >= expected or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.5)
