"""The public entry point the OCPP ingest calls for transactions.

`start` answers the charger from the durable session workflow (update-with-start,
so a retried StartTransaction reaches the same workflow and gets the same
answer); `stop` and `meter_summary` are signals; `authorize` answers an OCPP
Authorize from the access-mode rules without starting a session."""

from __future__ import annotations

from workflows.session_types import (
    AuthorizeAnswer,
    MeterSummary,
    SessionStart,
    SessionStop,
    StartAnswer,
)


class SessionGateway:
    async def start(self, start: SessionStart) -> StartAnswer:
        raise NotImplementedError

    async def stop(self, stop: SessionStop) -> None:
        raise NotImplementedError

    async def meter_summary(self, summary: MeterSummary) -> None:
        raise NotImplementedError

    async def authorize(self, ocpp_id: str, id_tag: str) -> AuthorizeAnswer:
        raise NotImplementedError
