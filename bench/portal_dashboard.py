"""The portal's dashboard under N concurrent logged-in users.

The app runs under uvicorn in a child process (so the clients' event loop does
not share a GIL with the server), over the database `api_transactions.py`
seeded. N portal users log in through the real form (GET /login for the
double-submit CSRF token, POST /login, session cookie), spread over a customer
admin, a partner admin and a platform admin; then, for a fixed number of
rounds, all N fetch the dashboard at once, and, as the baseline in the same run
and under the same concurrency, a trivial page behind the same cookie session
(the change-password form: session check, branding, base template; no queries
over sessions). `/api/v1/health` is not the baseline: it probes Temporal, which
the bench does not run, so it would time a connection failure.

    .venv/bin/python -m bench.portal_dashboard --serve URL --port P   (the child)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-" + "x" * 32
# One of each kind of scope: a customer's, a partner's (all its customers) and
# the platform's (everything).
ROLES = (
    ("customer admin", "admin@acme.example"),
    ("partner admin", "admin@voltpartners.example"),
    ("platform admin", "admin@energycloud.example"),
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BASELINE = "/account/password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int) -> None:
    """The child: the API + portal app on the bench database."""
    import uvicorn

    from api.app import create_app
    from db import passwords
    from db.base import make_engine, make_sessionmaker
    from energycloud.settings import Settings

    passwords.configure(time_cost=1, memory_kib=1024)
    factory = make_sessionmaker(make_engine(url))
    app = create_app(Settings(database_url=url, secret_key=SECRET), session_factory=factory)
    # Keep-alive well above a round's length: with the default 5 s the server
    # closes an idle connection just as a client reuses it (a disconnect, not a
    # slow page).
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=300)


async def log_in(base: str, email: str, password: str) -> httpx.AsyncClient:
    """A client holding a portal session cookie, logged in through the form."""
    client = httpx.AsyncClient(base_url=base, timeout=60)
    form = await client.get("/login")
    token = CSRF.search(form.text)
    assert form.status_code == 200 and token, form.text[:300]
    answer = await client.post("/login", data={
        "email": email, "password": password, "csrf_token": token.group(1), "next": "/"})
    assert answer.status_code == 303, f"login of {email}: {answer.status_code} {answer.text[:300]}"
    return client


async def _fetch(client: httpx.AsyncClient, path: str) -> float:
    t0 = time.perf_counter()
    answer = await client.get(path)
    elapsed = (time.perf_counter() - t0) * 1000
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
    return elapsed


async def _rounds(base: str, users: int, rounds: int, password: str) -> dict:
    clients = [await log_in(base, ROLES[i % len(ROLES)][1], password) for i in range(users)]
    try:
        results = {"dashboard": [], "baseline": [], "by_role": {r: [] for r, _ in ROLES}}
        for n in range(rounds + 2):  # two warm-up rounds, not counted
            # Alternate which goes first so neither always meets a warmer server.
            order = (("dashboard", "/"), ("baseline", BASELINE))
            for name, path in order if n % 2 else order[::-1]:
                times = await asyncio.gather(*(_fetch(c, path) for c in clients))
                if n >= 2:
                    results[name].extend(times)
                    if name == "dashboard":
                        for i, ms in enumerate(times):
                            results["by_role"][ROLES[i % len(ROLES)][0]].append(ms)
        return results
    finally:
        for client in clients:
            await client.aclose()


def measure(url: str, *, users: int, rounds: int, password: str = "demo") -> dict:
    """Start the app in a child process, time the dashboard and the baseline."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.portal_dashboard", "--serve", url, "--port", str(port)],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.TransportError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The portal server did not start.") from None
                time.sleep(0.2)
        return asyncio.run(_rounds(base, users, rounds, password))
    finally:
        child.terminate()
        child.wait(10)


def summarize(results: dict, percentile) -> tuple[str, str]:
    """A printed line and the summary fragment."""
    dash, base = results["dashboard"], results["baseline"]
    p50d, p99d = statistics.median(dash), percentile(dash, 0.99)
    p50b, p99b = statistics.median(base), percentile(base, 0.99)
    line = (f"dashboard x{len(dash)}: p50 {p50d:7.2f} ms p99 {p99d:7.2f} ms | "
            f"baseline {BASELINE} p50 {p50b:7.2f} ms p99 {p99b:7.2f} ms | "
            f"ratio p50 {p50d / p50b:.2f}x p99 {p99d / p99b:.2f}x")
    line += "\n  dashboard by role: " + "; ".join(
        f"{role} x{len(ms)} p50 {statistics.median(ms):.0f} ms p99 {percentile(ms, 0.99):.0f} ms"
        for role, ms in results["by_role"].items() if ms)
    fragment = (f"dashboard p50 {p50d:.1f}ms ({p50d / p50b:.2f}x) "
                f"p99 {p99d:.1f}ms ({p99d / p99b:.2f}x)")
    return line, fragment


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the portal for the dashboard bench.")
    parser.add_argument("--serve", metavar="URL", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(args.serve, args.port)
