"""Forgot password in a real browser, end to end: the login page's "Forgot
password?" asks for a link, the mail is read back from a real SMTP server
(aiosmtpd in this process), its link is followed, the new password is accepted
and logs in, and the same link is refused afterwards. An unknown address gets
the very same page and no mail; an invitation link sets the first password once."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import uvicorn

from api.app import create_app
from db.account_tokens import invite_user
from db.base import make_engine, make_sessionmaker, transaction
from db.demo import load_demo_data
from db.schema import reset_schema
from domain.enums import Role
from energycloud.settings import Settings
from tests.helpers import free_port
from tests.mail.helpers import smtp_sink, text_body
from tests.portal.conftest import PASSWORD, SECRET, log_in

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture(scope="module")
async def platform(tmp_path_factory):
    """The API + portal alone (no Temporal needed here), its account mail sent by
    SMTP to an in-process server; the mail links point at this very server."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reset') / 'portal.db'}"
    engine = make_engine(url)
    reset_schema(engine)
    factory = make_sessionmaker(engine)
    load_demo_data(factory, password=PASSWORD)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with smtp_sink() as sink:
        app = create_app(Settings(database_url=url, secret_key=SECRET),
                         session_factory=factory, mail=sink.config(public_url=base))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", timeout_graceful_shutdown=1))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        try:
            yield SimpleNamespace(url=base, factory=factory, sink=sink)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 10)
    engine.dispose()


async def mails_to(sink, address: str, n: int, timeout_s: float = 10) -> list:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(sink.to(address)) < n:
        await asyncio.sleep(0.05)
    return sink.to(address)


async def ask_for_link(page, email: str) -> str:
    await page.goto("/login")
    await page.click("#forgot-link")
    await page.fill("#email", email)
    await page.click("button[type=submit]")
    return (await page.text_content("[role=status]")).strip()


async def test_forgot_password_mail_link_sets_a_new_password_once(page, platform, shoot):
    answer = await ask_for_link(page, "jan@acme.example")
    assert answer.startswith("If an account exists for this address")
    [mail] = await mails_to(platform.sink, "jan@acme.example", 1)
    link = re.search(r"(http://\S+/reset-password\?token=[A-Za-z0-9_%-]+)", text_body(mail))[1]
    assert link.startswith(platform.url)

    await page.goto(link)
    assert await page.get_attribute("body", "data-brand") == "VoltPartners Laadoplossingen"
    await page.fill("#new", "short")
    await page.fill("#repeat", "short")
    await page.click("button[type=submit]")  # the browser's minlength stops it
    assert "/reset-password" in page.url and await page.is_visible("#new")
    await page.fill("#new", NEW_PASSWORD)
    await page.fill("#repeat", NEW_PASSWORD + "x")
    await page.click("button[type=submit]")
    assert "two passwords differ" in await page.text_content("[role=alert]")
    await shoot(page, "reset-password-form")
    await page.fill("#new", NEW_PASSWORD)
    await page.fill("#repeat", NEW_PASSWORD)
    await page.click("button[type=submit]")
    assert "Your password is set" in await page.text_content("[role=status]")
    # A notice of the change follows the reset link.
    [_, notice] = await mails_to(platform.sink, "jan@acme.example", 2)
    assert "reset-password?token=" not in text_body(notice)

    await page.context.clear_cookies()
    await page.goto("/login")
    await page.fill("#email", "jan@acme.example")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    assert "/login" in page.url  # the old password no longer works
    await log_in(page, "jan@acme.example", NEW_PASSWORD)
    assert "/login" not in page.url

    response = await page.goto(link)
    assert response.status == 410
    assert "used already or has expired" in await page.text_content("[role=alert]")
    assert not await page.is_visible("#new")
    await shoot(page, "reset-password-link-refused")
    await page.click("#ask-again")
    assert page.url.endswith("/forgot-password")


async def test_an_unknown_address_gets_the_same_page_and_no_mail(page, platform, shoot):
    before = len(platform.sink.messages)
    unknown = await ask_for_link(page, "nobody@acme.example")
    await shoot(page, "forgot-password-sent")
    known = await ask_for_link(page, "admin@acme.example")
    assert unknown == known
    await mails_to(platform.sink, "admin@acme.example", 1)
    await asyncio.sleep(0.3)
    assert [m["To"].addresses[0].addr_spec for m in platform.sink.messages[before:]] == [
        "admin@acme.example"]


async def test_a_reset_form_without_its_cookie_token_is_refused(page, platform):
    await ask_for_link(page, "admin@voltpartners.example")
    [mail] = await mails_to(platform.sink, "admin@voltpartners.example", 1)
    link = re.search(r"(http://\S+/reset-password\?token=[A-Za-z0-9_%-]+)", text_body(mail))[1]
    await page.goto(link)
    await page.context.clear_cookies()  # as a foreign site's form would arrive
    await page.fill("#new", NEW_PASSWORD)
    await page.fill("#repeat", NEW_PASSWORD)
    await page.click("button[type=submit]")
    assert "out of date" in await page.text_content("[role=alert]")
    await page.fill("#new", NEW_PASSWORD)  # the fresh form works
    await page.fill("#repeat", NEW_PASSWORD)
    await page.click("button[type=submit]")
    assert "Your password is set" in await page.text_content("[role=status]")


async def test_an_invitation_link_sets_the_first_password_once(page, platform):
    def invite():  # in a thread: the server shares this event loop (SQLite's write lock)
        with transaction(platform.factory) as s:
            return invite_user(s, email="new@acme.example", name="New Driver",
                               role=Role.CUSTOMER_ADMIN, customer_id=1,
                               invited_by="admin@acme.example", now=datetime.now(UTC))

    item = await asyncio.to_thread(invite)
    link = f"/set-password?token={item.token}"
    await page.goto(link)
    assert (await page.text_content("h1")).strip() == "Set your password"
    await page.fill("#new", NEW_PASSWORD)
    await page.fill("#repeat", NEW_PASSWORD)
    await page.click("button[type=submit]")
    assert "Your password is set" in await page.text_content("[role=status]")
    await log_in(page, "new@acme.example", NEW_PASSWORD)
    assert (await page.goto(link)).status == 410
