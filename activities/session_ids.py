"""Which workflow a charger's transaction belongs to, read from the database:
this installation's id (part of every session workflow id, `db.installation`) and
the id the ingest recorded for a running transaction (a charger may reuse a 2.0.1
id, so the row, not the formula, is the truth for a running one).

Database work, so it lives here and not in `workflows/`; the session gateway
asks it, off the event loop (`db.off_loop`)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from db.installation import installation_id, running_workflow_id
from db.off_loop import run_off_loop


class SessionIds:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    async def installation(self) -> str:
        # A transaction: the first caller creates the id.
        return await run_off_loop(self.session_factory, installation_id, commit=True)

    async def recorded(self, ocpp_id: str, transaction_id: str) -> str | None:
        return await run_off_loop(
            self.session_factory,
            lambda db: running_workflow_id(db, ocpp_id=ocpp_id, transaction_id=transaction_id),
        )
