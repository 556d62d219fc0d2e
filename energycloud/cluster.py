"""`energycloud cluster`: the production process shape on one machine, without
Docker — N OCPP ingest nodes and M workers as separate processes next to the
API, on the database at DATABASE_URL (PostgreSQL for a real trial) and the
Temporal dev server (or the cluster at TEMPORAL_ADDRESS with
TEMPORAL_EMBEDDED=false). Supervised like `energycloud up`: Ctrl-C stops all,
a child that dies takes the whole down.

    energycloud cluster --ingest-nodes 2 --workers 2

Ingest node i (from 1) is `node-<i>` on OCPP_PORT + i - 1, with its own remote
action task queue (`ocpp-node-node-<i>`). Chargers reach the nodes through a
TCP/websocket load balancer in production (docs/deploy.md); here they may be
pointed at any node's port."""

from __future__ import annotations

from typing import Annotated

import typer

from energycloud.probes import display_host
from energycloud.settings import Settings
from energycloud.supervisor import Child
from energycloud.up import Platform


def ingest_nodes(settings: Settings, count: int) -> list[tuple[str, int]]:
    """(node id, port) of each of `count` ingest nodes."""
    return [(f"node-{i}", settings.ocpp_port + i - 1) for i in range(1, count + 1)]


def ingest_node_env(node_id: str, port: int) -> dict[str, str]:
    """What sets one ingest process apart from the others: its id and port."""
    return {"OCPP_NODE_ID": node_id, "OCPP_PORT": str(port)}


class Cluster(Platform):
    """`Platform` with `ingest_nodes` ingest processes and `workers` workers."""

    def __init__(self, settings: Settings, *, ingest_nodes: int, workers: int, **kwargs) -> None:
        super().__init__(settings, worker=workers > 0, ingest=ingest_nodes > 0, **kwargs)
        self.ingest_count, self.worker_count = ingest_nodes, workers

    def _check_ports(self) -> None:
        super()._check_ports()  # the API, Temporal and the first node's port
        from energycloud.probes import port_in_use
        from energycloud.supervisor import EXIT_CONFIG, StartupError

        host = self.settings.ocpp_host
        busy = [
            str(port)
            for _, port in ingest_nodes(self.settings, self.ingest_count)[1:]
            if port_in_use(host, port)
        ]
        if busy:
            raise StartupError(
                f"Cannot start: ports {', '.join(busy)} on {host} for the ingest nodes are "
                "in use (set OCPP_PORT to start them elsewhere)",
                EXIT_CONFIG,
            )

    def _spawn_platform_process(
        self, command: str, *, name: str | None = None, env: dict | None = None
    ) -> Child:
        if command == "worker" and name is None:
            children = [
                super(Cluster, self)._spawn_platform_process("worker", name=f"worker-{i}")
                for i in range(1, self.worker_count + 1)
            ]
            return children[-1]
        if command == "ingest" and name is None:
            children = [
                super(Cluster, self)._spawn_platform_process(
                    "ingest", name=f"ingest {node}", env=ingest_node_env(node, port)
                )
                for node, port in ingest_nodes(self.settings, self.ingest_count)
            ]
            return children[-1]
        return super()._spawn_platform_process(command, name=name, env=env)

    def _ocpp_rows(self) -> list[tuple[str, str]]:
        host = display_host(self.settings.ocpp_host)
        rows = [
            (f"OCPP {node}", f"ws://{host}:{port}/ocpp/<id>")
            for node, port in ingest_nodes(self.settings, self.ingest_count)
        ]
        return [*rows, ("Workers", f"{self.worker_count} processes")]


def cluster_command(
    ctx: typer.Context,
    ingest_nodes_: Annotated[
        int, typer.Option("--ingest-nodes", min=0, help="OCPP ingest node processes.")
    ] = 2,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Worker processes.")] = 2,
    demo: Annotated[bool, typer.Option(help="Load the demo data on first start.")] = True,
) -> None:
    """Start the production process shape on this machine: N ingest nodes and M
    workers as separate processes, plus the API and (embedded) Temporal."""
    from energycloud.commands.common import platform_settings

    settings = platform_settings()
    cluster = Cluster(
        settings,
        ingest_nodes=ingest_nodes_,
        workers=workers,
        log_level=ctx.obj or "info",
        demo=demo,
    )
    raise typer.Exit(cluster.run())
