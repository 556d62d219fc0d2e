"""The Temporal schedule that settles every month: on the first day of each
month at 06:00 in the platform's time zone it starts `MonthlySettlementLauncher`,
which starts `settlement:<previous month>` (see workflows/monthly_settlement.py).

`ensure_settlement_schedule` is called whenever the platform starts (`energycloud
worker`, and so `energycloud up`): creating a schedule that exists is a no-op."""

from __future__ import annotations

import logging

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
)

from workflows.monthly_settlement import MonthlySettlementLauncher
from activities.settlement_messages import SettlementConfig, SettlementInput

log = logging.getLogger(__name__)

SCHEDULE_ID = "settlement-monthly"
CRON = "0 6 1 * *"  # 06:00 on the 1st of every month


async def ensure_settlement_schedule(
    client: Client,
    *,
    task_queue: str,
    work_dir: str,
    time_zone: str = "Europe/Amsterdam",
    schedule_id: str = SCHEDULE_ID,
) -> bool:
    """Create the monthly schedule unless it exists; True when it was created."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            MonthlySettlementLauncher.run,
            SettlementInput(period="", work_dir=work_dir, config=SettlementConfig()),
            id=f"{schedule_id}-launch",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[CRON], time_zone_name=time_zone),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        log.debug("schedule %s exists", schedule_id)
        return False
    log.info("Created schedule %s: settle the previous month on the 1st at 06:00 %s",
             schedule_id, time_zone)
    return True
