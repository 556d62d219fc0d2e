"""The portal in a real browser: the API app served by uvicorn in this process on
a free port, over the demo world on SQLite, with a real Temporal worker, a real
OCPP ingest node and `RemoteActions` wired as the entry point wires them; headless
Debian Chromium driven by Playwright (no browser download: `executable_path`).

One platform per test module; each test gets a fresh browser context (no shared
cookies). Screenshots go to the test's tmp dir and to /tmp/portal-shots."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from api.services import ApiServices
from db.base import make_engine, make_sessionmaker
from db.demo import load_demo_data
from db.schema import reset_schema
from energycloud.settings import Settings
from ocpp_ingest.onboarding import claim_energized_charging_point
from ocpp_ingest.options import IngestOptions
from ocpp_ingest.remote_actions import RemoteActions
from ocpp_ingest.server import IngestServer
from ocpp_ingest.simulator import SimulatedCharger
from tests.helpers import free_port
from tests.workflows.helpers import offset_transaction_ids, session_worker

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update",
]
SHOTS = Path(os.environ.get("EC_PORTAL_SHOTS", "/tmp/portal-shots"))
PASSWORD = "demo"
SECRET = "portal-test-secret-not-the-placeholder"

pytestmark = pytest.mark.temporal


@dataclass
class Platform:
    url: str
    factory: object
    ingest: IngestServer
    client: object  # the Temporal client the worker and the app use
    queue: str  # the worker's task queue

    @asynccontextmanager
    async def charger(self, ocpp_id: str, *, connectors: int = 2, password: str = PASSWORD,
                      boot: bool = True, **options):
        """A simulated charger (OCPP 1.6), connected and, with `boot`, booted and
        reporting its connectors available."""
        sim = SimulatedCharger(ocpp_id, password, "1.6", self.ingest.url, connectors=connectors,
                               response_timeout=10, **options)
        await sim.connect()
        try:
            if boot:
                assert await sim.boot_until_accepted(timeout_s=15) == "Accepted"
                for n in range(1, connectors + 1):
                    await sim.status(n, "Available")
            yield sim
        finally:
            await sim.close()


@pytest.fixture(scope="module")
async def platform(tmp_path_factory, temporal_env):
    """The whole platform on one demo world: worker, ingest, API + portal."""
    url = f"sqlite:///{tmp_path_factory.mktemp('portal') / 'portal.db'}"
    engine = make_engine(url)
    reset_schema(engine)
    factory = make_sessionmaker(engine)
    load_demo_data(factory, password=PASSWORD)
    for ocpp_id in ("ACME-DEPOT-01", "ACME-DEPOT-02", "ACME-HOME-001"):
        offset_transaction_ids(factory, ocpp_id)
    client = temporal_env.client
    queue = f"portal-{uuid.uuid4().hex[:8]}"
    async with session_worker(client, factory, queue) as gateway:
        ingest = IngestServer(
            Settings(), factory, gateway, queue, temporal_client=client,
            options=IngestOptions(port=0, meter_summary_interval_s=0.2, flush_ms=5,
                                  command_timeout_s=20, touch_flush_s=0.05,
                                  pending_boot_interval_s=1, allow_unknown_chargers=True),
        )
        async with ingest:
            # What the platform entry point wires: remote actions through Temporal
            # to the node holding the socket, and claims of energized chargers.
            services = ApiServices(
                remote_actions=lambda temporal: RemoteActions(
                    temporal, factory, timeout_s=8, gateway=gateway),
                claim_charger=claim_energized_charging_point,
            )
            app = create_app(
                Settings(database_url=url, secret_key=SECRET,
                         temporal_address=client.service_client.config.target_host),
                session_factory=factory, services=services,
            )
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning",
                timeout_graceful_shutdown=1,
            ))
            task = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.05)
            try:
                yield Platform(f"http://127.0.0.1:{port}", factory, ingest, client, queue)
            finally:
                server.should_exit = True
                await asyncio.wait_for(task, 10)
    engine.dispose()


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def context(browser, platform):
    ctx = await browser.new_context(base_url=platform.url, viewport={"width": 1360, "height": 900},
                                    accept_downloads=True)
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context):
    return await context.new_page()


async def log_in(page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def shoot(tmp_path):
    """Save a full-page screenshot in the test's tmp dir and in /tmp/portal-shots."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    async def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS / path.name)
        return path

    return take
