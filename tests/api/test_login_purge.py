"""The API purges expired logins while it serves (api/upkeep.py): the wiring of
`db.auth.purge_expired_logins` into the app's lifespan, with the log line that
says how many rows went."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient

from api.app import create_app
from db.base import utcnow
from tests.api.conftest import api_settings
from tests.db.helpers import add_logins, login_counts


def test_the_api_purges_expired_logins_while_it_serves_and_logs_how_many(
    db_url, session_factory, caplog
):
    add_logins(session_factory, expired_at=utcnow() - timedelta(days=2), tag="old")
    add_logins(session_factory, expired_at=utcnow() + timedelta(hours=1), tag="live")
    app = create_app(api_settings(db_url), session_factory=session_factory,
                     login_purge_every_s=0.2, first_login_purge_after_s=0)
    with caplog.at_level("INFO", logger="api.upkeep"), TestClient(app) as client:
        for _ in range(100):
            if login_counts(session_factory) == (1, 1, 1):
                break
            time.sleep(0.05)
        assert client.get("/api/v1/health").status_code in (200, 503)  # it serves meanwhile
    assert login_counts(session_factory) == (1, 1, 1)  # the live ones stay
    assert ("Purged 3 expired logins: 1 portal sessions, 1 API tokens, 1 account links"
            in caplog.messages)
    # The purge stops with the app: an expired login added now stays.
    add_logins(session_factory, expired_at=utcnow() - timedelta(days=2), tag="after")
    time.sleep(0.5)
    assert login_counts(session_factory) == (2, 2, 2)
