"""Answering an OCPP Authorize (no session is started) from the same facts and
rules a session start is decided on.

This is database work, so it lives here and not in `workflows/`; the session
gateway delegates to it. It runs on a thread so the ingest's event loop, which
serves every charger socket of the node, never waits on the database."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from activities.session_messages import AuthorizeAnswer
from db.base import reading
from db.facts import session_snapshot
from db.off_loop import run_off_loop


class AuthorizationService:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def decide(self, *, ocpp_id: str, id_tag: str) -> AuthorizeAnswer:
        with reading(self.session_factory) as db:
            return self._decide(db, ocpp_id=ocpp_id, id_tag=id_tag)

    @staticmethod
    def _decide(db: Session, *, ocpp_id: str, id_tag: str) -> AuthorizeAnswer:
        snap = session_snapshot(
            db, workflow_id=f"authorize:{ocpp_id}", ocpp_id=ocpp_id, id_tag=id_tag
        )
        return AuthorizeAnswer(
            accepted=snap.accepted, status=snap.status, category=snap.category,
            reason=snap.reason,
        )

    async def authorize(self, ocpp_id: str, id_tag: str) -> AuthorizeAnswer:
        return await run_off_loop(
            self.session_factory, lambda db: self._decide(db, ocpp_id=ocpp_id, id_tag=id_tag)
        )
