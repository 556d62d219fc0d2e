"""`energycloud cluster`: N ingest nodes, each its own id, port (and so task
queue), and M workers, as separate supervised processes."""

from __future__ import annotations

from typer.testing import CliRunner

from energycloud.cli import app
from energycloud.cluster import Cluster, ingest_nodes
from energycloud.settings import Settings


def test_each_ingest_node_gets_its_own_id_and_port_and_each_worker_a_process(tmp_path):
    settings = Settings(ocpp_port=9100, var_dir=tmp_path)
    cluster = Cluster(settings, ingest_nodes=3, workers=2, demo=False)
    spawned = []
    cluster._spawn = lambda name, argv, *, log_path=None, env=None: spawned.append(
        (name, argv[-1], env or {})
    )
    cluster._spawn_platform_process("worker")
    cluster._spawn_platform_process("ingest")
    cluster._spawn_platform_process("api")
    assert [(name, command) for name, command, _ in spawned] == [
        ("worker-1", "worker"), ("worker-2", "worker"),
        ("ingest node-1", "ingest"), ("ingest node-2", "ingest"), ("ingest node-3", "ingest"),
        ("api", "api"),
    ]
    assert [env for _, command, env in spawned if command == "ingest"] == [
        {"OCPP_NODE_ID": f"node-{i}", "OCPP_PORT": str(9099 + i)} for i in (1, 2, 3)
    ]
    assert ingest_nodes(settings, 2) == [("node-1", 9100), ("node-2", 9101)]


def test_the_command_is_registered_with_its_options():
    result = CliRunner().invoke(app, ["cluster", "--help"])
    assert result.exit_code == 0
    assert "--ingest-nodes" in result.output and "--workers" in result.output
