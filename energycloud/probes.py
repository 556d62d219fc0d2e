"""Probes `energycloud up` waits on: is a port free, does Temporal serve the
namespace, does the API answer its health check."""

from __future__ import annotations

import socket
import subprocess

import httpx


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def port_in_use(host: str, port: int) -> bool:
    # SO_REUSEADDR as the servers use it: a port in TIME_WAIT after a restart is free.
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def display_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def temporal_serving(binary: str, address: str, namespace: str) -> bool:
    """Temporal's frontend reports SERVING and the namespace exists (a worker could
    not start before that)."""
    common = ["--address", address, "--command-timeout", "2s"]
    try:
        health = subprocess.run(
            [binary, "operator", "cluster", "health", *common],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if "SERVING" not in health.stdout.split():
            return False
        described = subprocess.run(
            [binary, "operator", "namespace", "describe", "--namespace", namespace, *common],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return described.returncode == 0


def api_answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
