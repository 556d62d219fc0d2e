"""Process-wide logging, set up once by the command line entry point.

Every process (`up`, worker, ingest, API) logs the same way to stderr, so the
interleaved output of `energycloud up` reads as one log. The level comes from
`--log-level` or LOG_LEVEL."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATEFMT = "%H:%M:%S"
LEVELS = ("debug", "info", "warning", "error", "critical")

# Libraries that are chatty at INFO about things an operator does not need.
_QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "alembic": logging.WARNING,
    # The ocpp library logs every frame at INFO; LOG_LEVEL=debug shows them.
    "ocpp": logging.WARNING,
    "websockets.server": logging.WARNING,
}


def setup_logging(level: str = "info") -> None:
    """Configure the root logger (idempotent: a second call only changes the level)."""
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; choose one of {', '.join(LEVELS)}")
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=numeric, format=FORMAT, datefmt=DATEFMT)
    root.setLevel(numeric)
    for name, quiet_level in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet_level, numeric))
