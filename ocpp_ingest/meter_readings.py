"""Meter values of one charger connection's transactions: stored in batches,
readings that went backwards or arrive after the stop flagged, and a periodic
meter summary signalled to the session workflow
(`SessionGateway.meter_summary`). Mixed into `TransactionTracker`."""

from __future__ import annotations

import logging
import time
from functools import partial

from db import ocpp_messages
from db.base import utcnow
from db.models import MeterValue
from db.ocpp_transactions import TxRow
from domain.meter import went_backwards
from ocpp_ingest.errors import iso
from ocpp_ingest.meters import Reading
from workflows.session_types import MeterSummary

log = logging.getLogger(__name__)


class MeterReadings:
    """Uses the tracker's `ctx`, `cp_id`, `ocpp_id`, `_last_summary`, `get` and `anomaly`."""

    async def record_readings(
        self,
        readings: list[Reading],
        *,
        connector: int,
        tx: TxRow | None,
    ) -> None:
        """Store readings (durably, before the charger gets its answer). A register
        that went backwards is kept and flagged `regressed`, never priced."""
        if not readings:
            return
        if tx is not None and tx.stopped and tx.pk:
            # The session is closed (and settled or being settled): the readings
            # are kept but change no price; finance sees that they came late.
            await self.anomaly(
                "meter_values_after_stop",
                tx.transaction_id,
                {"readings": len(readings), "workflow_id": tx.workflow_id},
            )
        now = utcnow()
        rows, regressions = [], []
        for r in readings:
            regressed = tx is not None and self._regressed(tx, r)
            if regressed:
                regressions.append(
                    {
                        "energy_wh": r.energy_wh,
                        "measured_at": iso(r.measured_at),
                        "previous_wh": tx.last_energy_wh,
                    }
                )
            rows.append(
                {
                    "charging_point_id": self.cp_id,
                    "connector": connector,
                    "workflow_id": tx.workflow_id if tx else None,
                    "transaction_id": tx.transaction_id if tx else None,
                    "measured_at": r.measured_at,
                    "energy_wh": r.energy_wh,
                    "power_w": r.power_w,
                    "regressed": regressed,
                    "received_at": now,
                }
            )
        waits = [self.ctx.writer.insert_rows(MeterValue, rows)]
        if regressions:
            waits.append(
                self.ctx.write(
                    partial(
                        ocpp_messages.record_anomaly,
                        cp_id=self.cp_id,
                        kind="meter_regressed",
                        transaction_id=tx.transaction_id,
                        detail={"readings": regressions},
                    )
                )
            )
        for w in waits:
            await w
        if tx is not None:
            self._maybe_summary(tx, readings)

    @staticmethod
    def _regressed(tx: TxRow, r: Reading) -> bool:
        if r.energy_wh is None:
            return False
        if tx.last_measured_at is not None and r.measured_at < tx.last_measured_at:
            # A late (queued) reading: only impossible if below the start.
            return went_backwards(r.energy_wh, tx.meter_start_wh)
        base = tx.last_energy_wh if tx.last_energy_wh is not None else tx.meter_start_wh
        if went_backwards(r.energy_wh, base):
            return True
        tx.last_energy_wh, tx.last_measured_at = r.energy_wh, r.measured_at
        return False

    def _maybe_summary(self, tx: TxRow, readings: list[Reading]) -> None:
        if not tx.session_started or tx.stopped or tx.last_energy_wh is None:
            return
        now = time.monotonic()
        last = self._last_summary.setdefault(tx.transaction_id, now)
        if now - last < self.ctx.options.meter_summary_interval_s:
            return
        self._last_summary[tx.transaction_id] = now
        power = next((r.power_w for r in reversed(readings) if r.power_w is not None), None)
        summary = MeterSummary(
            ocpp_id=self.ocpp_id,
            transaction_id=tx.transaction_id,
            energy_wh=tx.last_energy_wh,
            measured_at=iso(tx.last_measured_at),
            power_w=power,
            workflow_id=tx.workflow_id,
        )
        self.ctx.spawn(self.ctx.gateway.meter_summary(summary), f"meter summary {tx.workflow_id}")
