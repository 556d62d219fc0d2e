"""Account mail through the API, read back from a real SMTP server: forgot
password → link → new password accepted → old link refused, a notice of the
change; an unknown address gets the same answer and no mail; an invitation
sets the first password."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.app import create_app
from db.account_tokens import invite_user
from db.base import transaction
from db.demo import load_demo_data
from db.models import User
from db.passwords import verify_password
from domain.enums import Role
from energycloud.settings import Settings
from tests.mail.helpers import html_body, smtp_sink, text_body


def _wait(sink, n: int, timeout_s: float = 10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(sink.messages) < n:
        time.sleep(0.05)
    return list(sink.messages)


def _token(msg) -> str:
    return re.search(r"token=([A-Za-z0-9_%-]+)", text_body(msg)).group(1)


def _client(db_url, session_factory, sink):
    settings = Settings(database_url=db_url, mail_transport="smtp", smtp_host="127.0.0.1",
                        smtp_port=sink.port, smtp_security="none",
                        public_url="https://portal.example",
                        secret_key="account-mail-tests-" + "k" * 40)
    return TestClient(create_app(settings, session_factory=session_factory))


def test_forgot_password_link_sets_a_new_password_once_and_says_nothing_about_unknown_addresses(
    db_url, session_factory
):
    load_demo_data(session_factory, password="old-password")
    with smtp_sink() as sink, _client(db_url, session_factory, sink) as api:
        unknown = api.post("/api/v1/auth/forgot-password", json={"email": "nobody@acme.example"})
        known = api.post("/api/v1/auth/forgot-password", json={"email": "JAN@acme.example"})
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()
        [mail] = _wait(sink, 1)
        time.sleep(0.3)
        assert len(sink.messages) == 1  # none to the unknown address
        assert mail["To"].addresses[0].addr_spec == "jan@acme.example"
        assert mail["From"].addresses[0].display_name == "VoltPartners Laadoplossingen"
        assert mail["Reply-To"].addresses[0].addr_spec == "support@voltpartners.example"
        assert "https://portal.example/reset-password?token=" in html_body(mail)
        token = _token(mail)

        short = api.post("/api/v1/auth/reset-password",
                         json={"token": token, "new_password": "short"})
        assert short.status_code == 400 and "10 characters" in short.json()["error"]["message"]
        ok = api.post("/api/v1/auth/reset-password",
                      json={"token": token, "new_password": "a-new-password"})
        assert ok.status_code == 200, ok.text
        again = api.post("/api/v1/auth/reset-password",
                         json={"token": token, "new_password": "another-password"})
        assert again.status_code == 400
        assert "invalid or has expired" in again.json()["error"]["message"]
        notice = _wait(sink, 2)[1]
        assert notice["Subject"] == "Your VoltPartners Laadoplossingen password was changed"
        assert "token=" not in text_body(notice)
    with session_factory() as s:
        jan = s.query(User).filter_by(email="jan@acme.example").one()
        assert verify_password(jan.password_hash, "a-new-password")
        assert not verify_password(jan.password_hash, "old-password")


def test_an_invitation_sets_the_first_password(db_url, session_factory):
    load_demo_data(session_factory, password="pw")
    from mail.account_mail import account_brand, compose_account_mail
    from mail.config import MailConfig

    with transaction(session_factory) as s:
        item = invite_user(s, email="new@acme.example", name="New Driver",
                           role=Role.CUSTOMER_ADMIN, customer_id=1,
                           invited_by="admin@acme.example", now=datetime.now(UTC))
        message = compose_account_mail(item, branding=account_brand(s, item.user_id),
                                       config=MailConfig(public_url="https://p.example"),
                                       at=datetime.now(UTC))
    assert message["Subject"] == "You are invited to VoltPartners Laadoplossingen"
    token = _token(message)
    with smtp_sink() as sink, _client(db_url, session_factory, sink) as api:
        ok = api.post("/api/v1/auth/reset-password",
                      json={"token": token, "new_password": "my-first-password"})
        assert ok.status_code == 200, ok.text
    with session_factory() as s:
        user = s.query(User).filter_by(email="new@acme.example").one()
        assert verify_password(user.password_hash, "my-first-password")
