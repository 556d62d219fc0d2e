"""Helpers every test folder may use."""

from __future__ import annotations

import asyncio
import socket
import sys


def free_port() -> int:
    """A loopback port nothing listens on right now: the OS picks it for a socket
    that is closed again (a server may bind it next; a client finds it closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_cli(env: dict, *args: str, timeout_s: float) -> tuple[int, str]:
    """`python -m energycloud.cli *args` in a child process with `env`: its exit
    code and its output (stderr folded into stdout)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "energycloud.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=timeout_s)
    return process.returncode, out.decode()
