"""Logging in and out: bearer tokens, portal sessions with CSRF, API keys,
password change, lock-out, and the refusal to start with the placeholder key."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.app import InsecureSettings, create_app
from api.auth import login as login_mod
from api.auth.login import LoginRefused, LoginThrottled, check_login
from api.auth.sessions import COOKIE_NAME, end_portal_session, start_portal_session
from db.models import PortalSession
from energycloud.settings import Settings
from tests.api.conftest import PASSWORD, token_for


@pytest.fixture
def fresh(fresh, session_factory):
    """The conftest's client on a world of its own, with the world's session
    factory (these tests change logins)."""
    return fresh, session_factory


def test_token_login_then_me_then_logout_makes_the_token_worthless(fresh):
    client, _ = fresh
    token = token_for(client, "admin@voltpartners.example")
    bearer = {"Authorization": f"Bearer {token}"}

    me = client.get("/api/v1/auth/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["role"] == "partner_admin" and me.json()["via"] == "token"

    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    again = client.get("/api/v1/auth/me", headers=bearer)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "auth.required"


def test_unknown_email_and_wrong_password_get_the_same_sentence(fresh):
    client, _ = fresh
    unknown = client.post("/api/v1/auth/token",
                          data={"username": "nobody@example.com", "password": "x"})
    wrong = client.post("/api/v1/auth/token",
                        data={"username": "admin@acme.example", "password": "wrong"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.json()["error"]["message"] == login_mod.REFUSED


def test_repeated_failures_lock_the_account_even_for_the_right_password(fresh):
    client, _ = fresh
    for _ in range(login_mod.MAX_FAILURES_PER_ACCOUNT):
        client.post("/api/v1/auth/token",
                    data={"username": "admin@acme.example", "password": "guess"})
    locked = client.post("/api/v1/auth/token",
                         data={"username": "admin@acme.example", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "auth.login_throttled"
    # Another account from another address is not affected.
    assert token_for(client, "admin@voltpartners.example")


def test_failures_from_one_ip_throttle_every_account_from_it(fresh):
    _, factory = fresh
    with factory() as db:
        for n in range(login_mod.MAX_FAILURES_PER_IP):
            with pytest.raises(LoginRefused):
                check_login(db, email=f"user{n}@spray.example", password="x", ip="203.0.113.9")
        with pytest.raises(LoginThrottled):
            check_login(db, email="admin@acme.example", password=PASSWORD, ip="203.0.113.9")
        assert check_login(db, email="admin@acme.example", password=PASSWORD, ip="198.51.100.1")


def test_portal_session_cookie_needs_csrf_for_unsafe_requests_and_dies_at_logout(fresh):
    client, factory = fresh
    with factory() as db:
        user = check_login(db, email="admin@acme.example", password=PASSWORD, ip="127.0.0.1")
        cookie, _csrf = start_portal_session(
            db, user_id=user.id, user_agent="pytest", ip="127.0.0.1"
        )
        db.commit()
        stored = db.scalar(select(PortalSession.token_hash))
    assert cookie not in stored  # only the hash is kept

    client.cookies.set(COOKIE_NAME, cookie)
    try:
        assert client.get("/api/v1/auth/me").json()["via"] == "session"
        refused = client.post("/api/v1/auth/api-keys", json={"name": "x"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.csrf"
        with factory() as db:
            end_portal_session(db, cookie_value=cookie)
            db.commit()
        assert client.get("/api/v1/auth/me").status_code == 401
    finally:
        client.cookies.clear()


def test_password_change_needs_the_old_password_and_logs_out_other_tokens(fresh):
    client, _ = fresh
    first = {"Authorization": f"Bearer {token_for(client, 'jan@acme.example')}"}
    second = {"Authorization": f"Bearer {token_for(client, 'jan@acme.example')}"}

    wrong = client.post("/api/v1/auth/password", headers=first,
                        json={"old_password": "nope", "new_password": "a-new-long-password"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "auth.old_password"

    ok = client.post("/api/v1/auth/password", headers=first,
                     json={"old_password": PASSWORD, "new_password": "a-new-long-password"})
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me", headers=second).status_code == 401
    assert token_for(client, "jan@acme.example", "a-new-long-password")
    refused = client.post("/api/v1/auth/token",
                          data={"username": "jan@acme.example", "password": PASSWORD})
    assert refused.status_code == 401


def test_api_key_is_shown_once_works_in_its_partner_subtree_and_stops_when_revoked(fresh):
    client, _ = fresh
    admin = {"Authorization": f"Bearer {token_for(client, 'admin@voltpartners.example')}"}
    created = client.post("/api/v1/auth/api-keys", headers=admin, json={"name": "Fleet sync"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(created.json()["prefix"])
    listed = client.get("/api/v1/auth/api-keys", headers=admin).json()
    assert all("key" not in item for item in listed)

    by_key = {"X-API-Key": key}
    me = client.get("/api/v1/auth/me", headers=by_key).json()
    assert me["via"] == "api_key" and me["partner_id"] is not None

    revoked = client.post(f"/api/v1/auth/api-keys/{created.json()['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=by_key).status_code == 401


def test_support_and_customers_cannot_create_api_keys(fresh):
    client, _ = fresh
    for email in ("support@voltpartners.example", "admin@acme.example"):
        bearer = {"Authorization": f"Bearer {token_for(client, email)}"}
        answer = client.post("/api/v1/auth/api-keys", headers=bearer, json={"name": "x"})
        assert answer.status_code == 403


def test_the_api_refuses_to_start_with_the_placeholder_secret_outside_the_embedded_demo(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(InsecureSettings, match="SECRET_KEY"):
        create_app(Settings(database_url=sqlite, temporal_embedded=False))
    with pytest.raises(InsecureSettings):
        create_app(Settings(database_url="postgresql+psycopg://h/db", temporal_embedded=True))
    # The embedded demo (SQLite + Temporal dev server) may keep it; a real key always works.
    assert create_app(Settings(database_url=sqlite, temporal_embedded=True))
    assert create_app(Settings(database_url="postgresql+psycopg://h/db", secret_key="k" * 40,
                               temporal_embedded=False))
