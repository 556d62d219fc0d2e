"""Which workflow a charger's transaction belongs to, read from the database:
this installation's id (part of every session workflow id, `db.installation`) and
the id the ingest recorded for a running transaction (a charger may reuse a 2.0.1
id, so the row, not the formula, is the truth for a running one).

Database work, so it lives here and not in `workflows/`; the session gateway
asks it. It runs on a thread so the ingest's event loop never waits on the
database."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from db.base import transaction
from db.installation import installation_id, running_workflow_id


class SessionIds:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def _installation(self) -> str:
        with transaction(self.session_factory) as db:
            return installation_id(db)

    def _recorded(self, ocpp_id: str, transaction_id: str) -> str | None:
        with self.session_factory() as db:
            return running_workflow_id(db, ocpp_id=ocpp_id, transaction_id=transaction_id)

    async def installation(self) -> str:
        return await asyncio.to_thread(self._installation)

    async def recorded(self, ocpp_id: str, transaction_id: str) -> str | None:
        return await asyncio.to_thread(self._recorded, ocpp_id, transaction_id)
