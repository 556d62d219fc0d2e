"""Demo data: the world of ../shared/SCENARIOS.md and more (filled in by the foundation work)."""

from __future__ import annotations


def load_demo_data(session_factory, *, password: str = "demo") -> bool:
    """Load the demo world once. Returns False if it was already there."""
    return False
