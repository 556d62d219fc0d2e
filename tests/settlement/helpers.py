"""Helpers for driving the monthly settlement workflow in tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from activities.settlement_messages import STEPS, Approval, Rejection, SettlementProgress
from workflows.monthly_settlement import MonthlySettlementWorkflow

ORDER = (*STEPS, "awaiting_approval", "payouts_released", "settled")


async def wait_for_step(
    handle, step: str, timeout_s: float = 120, *, run: int = 1, or_later: bool = False
) -> SettlementProgress:
    """Poll the workflow's query until it is at `step` (or past it) in `run`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        try:
            progress = await handle.query(MonthlySettlementWorkflow.progress)
        except Exception:  # noqa: BLE001 - not picked up yet
            progress = None
        if progress is not None and progress.run == run and (
            progress.step == step
            or (or_later and ORDER.index(progress.step) > ORDER.index(step))
        ):
            return progress
        await asyncio.sleep(0.2)
    raise AssertionError(f"settlement did not reach {step} within {timeout_s} s: {progress}")


async def reject_then_approve(handle, reason: str, *, by: str = "finance@energycloud.example"):
    """Finance sends the period back with `reason`; the second run must come out
    unblocked, finance approves it; the workflow's result."""
    await handle.signal(MonthlySettlementWorkflow.reject, Rejection(by, reason))
    progress = await wait_for_step(handle, "awaiting_approval", run=2)
    assert progress.blocked is None, progress.blocked
    await handle.signal(MonthlySettlementWorkflow.approve,
                        Approval(by, datetime.now(UTC).isoformat()))
    return await asyncio.wait_for(handle.result(), timeout=60)
