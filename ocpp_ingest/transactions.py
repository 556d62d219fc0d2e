"""Transactions of one charger connection, for both protocol versions: ids,
impossible timestamps replaced and flagged, and the calls into the session
workflow (`SessionGateway.start/stop`); meter values and summaries are
`ocpp_ingest.meter_readings`."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from functools import partial

from ocpp.exceptions import PropertyConstraintViolationError

from db import ocpp_messages, ocpp_transactions
from db.base import utcnow
from db.installation import installation_id
from db.ocpp_transactions import TxRow
from ocpp_ingest.clock import implausible
from ocpp_ingest.context import IngestContext
from ocpp_ingest.errors import iso
from ocpp_ingest.meter_readings import MeterReadings
from workflows.session_types import SessionStart, SessionStop, StartAnswer, session_workflow_id

log = logging.getLogger(__name__)


class TransactionTracker(MeterReadings):
    def __init__(
        self,
        ctx: IngestContext,
        *,
        cp_id: int,
        ocpp_id: str,
        first_connected_at: datetime | None = None,
    ):
        self.ctx = ctx
        self.cp_id = cp_id
        self.ocpp_id = ocpp_id
        self._open: dict[str, TxRow] = {}
        self._last_summary: dict[str, float] = {}
        self._installation: str | None = None
        # When the charging point was first connected, as the connect (and a boot
        # since) left it: nothing it reports can be much older.
        self.first_connected_at = first_connected_at

    # -- lookup and allocation ---------------------------------------------

    async def get(self, transaction_id: str) -> TxRow | None:
        tx = self._open.get(transaction_id)
        if tx is None:
            tx = await self.ctx.read(
                partial(ocpp_transactions.load_tx, cp_id=self.cp_id, transaction_id=transaction_id)
            )
            if tx is not None and not tx.stopped:
                self._open[transaction_id] = tx
        return tx

    async def allocate_v16(
        self,
        *,
        connector: int,
        id_tag: str,
        meter_start: int,
        timestamp_raw: str,
        started_at: datetime,
        reported_at: datetime | None = None,
    ) -> TxRow:
        tx = await self.ctx.write(
            partial(
                ocpp_transactions.allocate_v16,
                cp_id=self.cp_id,
                ocpp_id=self.ocpp_id,
                connector=connector,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp_raw=timestamp_raw,
                started_at=started_at,
                reported_at=reported_at,
            )
        )
        cached = self._open.get(tx.transaction_id)
        if cached is not None:
            return cached
        if not tx.stopped:
            self._open[tx.transaction_id] = tx
        return tx

    async def ensure_v201(
        self,
        transaction_id: str,
        *,
        connector: int | None,
        started_at: datetime | None,
    ) -> tuple[TxRow, bool, bool]:
        """(row, created, reused). A `Started` dated after the end of a finished
        transaction with the same id is a new transaction (the charger's counter
        was reset), never a retry of the finished one: a row and workflow of its
        own, flagged. A `Started` dated before that end is the old one's, late."""
        tx = await self.get(transaction_id)
        reused = (
            tx is not None
            and tx.stopped
            and started_at is not None
            and tx.stopped_at is not None
            and started_at > tx.stopped_at
        )
        if tx is not None and not reused:
            return tx, False, False
        tx, created = await self.ctx.write(
            partial(
                ocpp_transactions.ensure_v201,
                cp_id=self.cp_id,
                ocpp_id=self.ocpp_id,
                transaction_id=transaction_id,
                connector=connector,
                started_at=started_at,
                reused=reused,
            )
        )
        if not tx.stopped:
            self._open[transaction_id] = tx
        if reused:
            await self.anomaly(
                "transaction_id_reused", transaction_id, {"new_workflow_id": tx.workflow_id}
            )
        return tx, created, reused

    # -- timestamps -------------------------------------------------------------

    async def believable(
        self,
        reported: datetime,
        *,
        what: str,
        transaction_id: str | None = None,
        past: bool = True,
    ) -> tuple[datetime, bool]:
        """The charger's time, or the receive time when the charger's cannot be
        right (`ocpp_ingest.clock`); True when replaced (an anomaly is recorded)."""
        received = utcnow()
        why = implausible(
            reported, received=received, first_connected=self.first_connected_at, past=past
        )
        if why is None:
            return reported, False
        await self.anomaly(
            "timestamp_replaced",
            transaction_id,
            {"what": what, "reported": iso(reported), "received": iso(received), "why": why},
        )
        return received, True

    # -- meter values ---------------------------------------------------------

    # -- session workflow -----------------------------------------------------

    async def start_session(
        self,
        tx: TxRow,
        *,
        id_tag: str,
        connector: int,
        meter_start: int,
        started_at: datetime,
        flags: tuple[str, ...] = (),
    ) -> StartAnswer:
        """Ask the session workflow; a retry reaches the same workflow and answer."""
        answer = await self.ctx.gateway.start(
            SessionStart(
                ocpp_id=self.ocpp_id,
                transaction_id=tx.transaction_id,
                connector=connector,
                id_tag=id_tag,
                meter_start_wh=meter_start,
                started_at=iso(started_at),
                workflow_id=tx.workflow_id,
                flags=flags,
            )
        )
        values = dict(
            session_started=True,
            auth_status=answer.status,
            id_tag=id_tag,
            meter_start_wh=meter_start,
            connector=connector,
            started_at=started_at,
        )
        # Not awaited: the answer is durable in the session workflow already, and a
        # retry after a crash asks the workflow again and gets the same answer. The
        # writer is FIFO, so later writes of this transaction come after this one.
        self.ctx.spawn(
            self.ctx.write(partial(ocpp_transactions.update_tx, pk=tx.pk, values=values)),
            f"record start of {tx.workflow_id}",
        )
        for key, value in values.items():
            setattr(tx, key, value)
        self._last_summary[tx.transaction_id] = time.monotonic()
        return answer

    async def stop_session(
        self,
        tx: TxRow,
        *,
        meter_stop: int,
        stopped_at: datetime,
        reason: str | None,
        id_tag: str | None,
        flags: tuple[str, ...] = (),
    ) -> None:
        """Tell the session workflow once; a duplicate stop changes nothing. A
        refused start's workflow finished when it refused: nothing to tell it."""
        if tx.stopped:
            return
        highest = max(v for v in (tx.meter_start_wh, tx.last_energy_wh, 0) if v is not None)
        if meter_stop < highest:
            # Passed on as the charger sent it; flagged so finance can look.
            await self.anomaly(
                "meter_stop_regressed",
                tx.transaction_id,
                {"meter_stop_wh": meter_stop, "highest_wh": highest},
            )
        # A start received (`started_at`) whose outcome is unrecorded: the node that
        # asked the workflow records it after answering and may have died since,
        # the charger now stopping through another node. The workflow is told.
        unrecorded = not tx.session_started and tx.started_at is not None
        if (tx.session_started and not tx.refused) or unrecorded:
            try:
                await self.ctx.gateway.stop(
                    SessionStop(
                        ocpp_id=self.ocpp_id,
                        transaction_id=tx.transaction_id,
                        meter_stop_wh=meter_stop,
                        stopped_at=iso(stopped_at),
                        reason=reason or "Local",
                        id_tag=id_tag,
                        workflow_id=tx.workflow_id,
                        flags=flags,
                    )
                )
            except LookupError as exc:  # the workflow does not know it (any more)
                if not unrecorded:  # else: the start never reached a workflow
                    await self.anomaly(
                        "stop_unknown_to_workflow", tx.transaction_id, {"error": str(exc)}
                    )
        await self.ctx.write(
            partial(
                ocpp_transactions.update_tx,
                pk=tx.pk,
                values=dict(
                    stopped=True,
                    stopped_at=stopped_at,
                    meter_stop_wh=meter_stop,
                    stop_reason=reason,
                ),
            )
        )
        tx.stopped, tx.stopped_at = True, stopped_at
        self._open.pop(tx.transaction_id, None)
        self._last_summary.pop(tx.transaction_id, None)

    async def anomaly(self, kind: str, transaction_id: str | None, detail: dict) -> None:
        log.info("charger %s: %s (transaction %s) %s", self.ocpp_id, kind, transaction_id, detail)
        await self.ctx.write(
            partial(
                ocpp_messages.record_anomaly,
                cp_id=self.cp_id,
                kind=kind,
                transaction_id=transaction_id,
                detail=detail,
            )
        )

    async def stand_in(self, transaction_id: str) -> TxRow:
        """An unknown transaction's readings still carry the workflow id it would
        have on this installation."""
        if self._installation is None:
            self._installation = await self.ctx.write(installation_id)
        return TxRow(
            pk=0,
            transaction_id=transaction_id,
            workflow_id=session_workflow_id(self.ocpp_id, transaction_id, self._installation),
            connector=0,
            id_tag=None,
            meter_start_wh=None,
            started_at=None,
            session_started=False,
            auth_status=None,
            stopped=True,
        )


def require_connector(connector: int) -> None:
    """Connector (or EVSE) ids are 0 (the charger itself) or positive; a negative
    one is the charger's error, never the charging point's own status."""
    if connector < 0:
        raise PropertyConstraintViolationError(
            details={"cause": f"connector id {connector} is negative"}
        )
