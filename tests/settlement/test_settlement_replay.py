"""Periods settled by earlier versions of the settlement workflow replay against
the current code (workflow.patched guards every change of its command sequence):
tests/histories/settlement/*.json, recorded from earlier versions, e.g. October
settled before approval started the collections."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.monthly_settlement import MonthlySettlementWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "histories" / "settlement"


async def test_recorded_settlement_histories_replay_against_current_code():
    recorded = [WorkflowHistory.from_json(path.stem, path.read_text())
                for path in sorted(HISTORIES.glob("*.json"))]
    assert recorded, f"no recorded settlement histories in {HISTORIES}"
    replayer = Replayer(workflows=[MonthlySettlementWorkflow])
    for history in recorded:
        await replayer.replay_workflow(history)
