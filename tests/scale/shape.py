"""The production process shape for tests and benches: N ingest nodes and M
workers as separate `energycloud` processes (the ones `energycloud cluster`
starts, with the same per-node settings) on one database and one Temporal
server, each killable on its own.

    shape = ProcessShape.spawn(db_url, temporal_client, task_queue,
                               nodes=2, workers=2, log_dir=tmp_path)
    await shape.ready(temporal_client)   # (load the database meanwhile)
    shape.urls            # ws://127.0.0.1:<port>/ocpp of each node, in order
    shape.kill_node(0)    # SIGKILL
    shape.stop()          # SIGTERM, then SIGKILL what is left
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from energycloud.cluster import ingest_node_env
from tests.helpers import free_port

START_TIMEOUT_S = 120.0


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Node:
    node_id: str
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"


@dataclass
class ProcessShape:
    env: dict[str, str]
    log_dir: Path
    task_queue: str
    nodes: list[Node] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def spawn(
        cls,
        db_url: str,
        client,
        task_queue: str,
        *,
        nodes: int = 2,
        workers: int = 2,
        log_dir: Path,
        ingest_env: dict[str, str] | None = None,
    ) -> ProcessShape:
        """Start the processes (`ready` waits for them). `ingest_env`: settings of
        the ingest nodes (faster intervals for tests)."""
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "TEMPORAL_ADDRESS": client.service_client.config.target_host,
            "TEMPORAL_NAMESPACE": client.namespace,
            "TASK_QUEUE": task_queue,
            "OCPP_HOST": "127.0.0.1",
            "LOG_LEVEL": "warning",
            "PYTHONUNBUFFERED": "1",
        }
        shape = cls(env, log_dir, task_queue)
        prefix = f"scale-{uuid.uuid4().hex[:6]}"
        try:
            for _ in range(workers):
                shape.workers.append(shape._spawn("worker", {}, f"worker-{len(shape.workers)}"))
            for i in range(1, nodes + 1):
                node_id, port = f"{prefix}-{i}", free_port()
                extra = {**(ingest_env or {}), **ingest_node_env(node_id, port)}
                shape.nodes.append(Node(node_id, port, shape._spawn("ingest", extra, node_id)))
        except BaseException:
            shape.stop()
            raise
        return shape

    def _spawn(self, command: str, extra: dict[str, str], name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child writes it
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "energycloud.cli", command],
                env={**self.env, **extra},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    async def ready(self, client) -> None:
        """Wait until every node listens and every worker polls the task queue."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        while True:
            dead = [p.args for p in self.processes if p.poll() is not None]
            if dead:
                raise RuntimeError(f"exited while starting: {dead}; logs in {self.log_dir}")
            nodes_up = all(_listening(n.port) for n in self.nodes)
            if nodes_up and await _pollers(client, self.task_queue) >= len(self.workers):
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the process shape did not start; logs in {self.log_dir}")
            await asyncio.sleep(0.2)

    @property
    def processes(self) -> list[subprocess.Popen]:
        return [n.process for n in self.nodes] + self.workers

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def kill_node(self, index: int) -> None:
        _kill(self.nodes[index].process)

    def kill_worker(self, index: int) -> None:
        _kill(self.workers[index])

    def stop(self) -> None:
        running = [p for p in self.processes if p.poll() is None]
        for p in running:
            p.send_signal(signal.SIGTERM)
        for p in running:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill(p)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def _pollers(client, task_queue: str) -> int:
    """Workers polling `task_queue` for workflow tasks (as Temporal saw them)."""
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len({p.identity for p in answer.pollers})
