"""Helpers every test folder may use."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port nothing listens on right now: the OS picks it for a socket
    that is closed again (a server may bind it next; a client finds it closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
