"""A charger fleet simulator on the `ocpp` library's charge-point side.

    charger = SimulatedCharger("SIM-0001", "secret", "2.0.1", "ws://127.0.0.1:9000/ocpp")
    await charger.connect(); await charger.boot()
    session = await charger.start_session(1, "04A1B2C3")
    await charger.send_meter_values(1)
    await charger.stop_session(1)

`run_fleet` runs many chargers for a while (boot, heartbeats, sessions with
periodic meter values, answering every remote action); `simulate` is what the
`energycloud simulate` command calls; `main(argv)` runs it from a shell."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.exceptions import InvalidHandshake

from ocpp_ingest.simulator.charger import SimulatedCharger

log = logging.getLogger(__name__)


@dataclass
class SimulationReport:
    chargers: int
    connected: int
    accepted: int
    duration_s: float
    calls: int
    errors: int
    p50_ms: float
    p99_ms: float
    sessions_started: int
    sessions_accepted: int
    sessions_stopped: int
    energy_wh: int
    remote_commands: dict
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rate = self.calls / self.duration_s if self.duration_s else 0.0
        return (
            f"{self.connected}/{self.chargers} chargers connected, {self.accepted} accepted; "
            f"{self.calls} calls ({rate:.1f}/s), {self.errors} errors, answer p50 "
            f"{self.p50_ms:.1f} ms p99 {self.p99_ms:.1f} ms; sessions {self.sessions_started} "
            f"started, {self.sessions_accepted} accepted, {self.sessions_stopped} stopped, "
            f"{self.energy_wh / 1000:.2f} kWh; remote commands {self.remote_commands or 'none'}"
        )


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_fleet(
    url: str,
    chargers: list[SimulatedCharger],
    duration_s: float,
    *,
    session_every_s: float | None = 60,
    session_duration_s: float | None = None,
    ramp_s: float = 1.0,
) -> SimulationReport:
    """Run every charger for `duration_s`, connecting them over `ramp_s`."""
    started = time.monotonic()
    for charger in chargers:
        charger.url = url.rstrip("/")

    async def one(i: int, charger: SimulatedCharger):
        await asyncio.sleep(ramp_s * i / max(1, len(chargers)))
        await charger.run(
            duration_s, session_every_s=session_every_s, session_duration_s=session_duration_s
        )

    results = await asyncio.gather(
        *(one(i, c) for i, c in enumerate(chargers)), return_exceptions=True
    )
    failures = [
        f"{c.ocpp_id}: {r!r}"
        for c, r in zip(chargers, results, strict=True)
        if isinstance(r, BaseException)
    ]
    for failure in failures:
        log.warning("simulated charger failed: %s", failure)
    latencies = [x for c in chargers for x in c.stats.latencies_s]
    remote: Counter = Counter()
    for c in chargers:
        remote.update(c.stats.remote)
    return SimulationReport(
        chargers=len(chargers),
        connected=sum(1 for c in chargers if c.stats.calls),
        accepted=sum(1 for c in chargers if c.stats.boots["Accepted"]),
        duration_s=time.monotonic() - started,
        calls=sum(c.stats.calls for c in chargers),
        errors=sum(c.stats.errors for c in chargers),
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        sessions_started=sum(c.stats.sessions_started for c in chargers),
        sessions_accepted=sum(c.stats.sessions_accepted for c in chargers),
        sessions_stopped=sum(c.stats.sessions_stopped for c in chargers),
        energy_wh=sum(c.stats.energy_wh for c in chargers),
        remote_commands=dict(remote),
        failures=failures,
    )


def simulate(
    url: str,
    count: int,
    version: str,
    duration_s: float,
    session_every_s: float,
    id_prefix: str,
    password: str,
    id_tags: list[str],
    ids: list[str] | None = None,
) -> SimulationReport:
    """Run `count` chargers `<id_prefix>0001…` against `url` (the ingest's
    `ws://host:port/ocpp`). `version` is "1.6", "2.0.1" or "mixed". Chargers must
    be pre-approved with `password` (or unknown chargers allowed: they then stay
    pending until claimed, retrying their boot). `ids` names the chargers
    explicitly instead (e.g. the demo world's), and `count` is then ignored."""
    versions = ["1.6", "2.0.1"] if version == "mixed" else [version]
    meter_interval = max(1.0, min(60.0, session_every_s / 6))
    names = ids or [f"{id_prefix}{i:04d}" for i in range(1, count + 1)]
    chargers = [
        SimulatedCharger(
            name,
            password,
            versions[i % len(versions)],
            url,
            meter_interval_s=meter_interval,
            id_tags=id_tags or ["SIM-TAG-1"],
        )
        for i, name in enumerate(names, start=1)
    ]
    return asyncio.run(
        run_fleet(
            url, chargers, duration_s, session_every_s=session_every_s, ramp_s=min(5.0, count / 100)
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulate a fleet of OCPP chargers.")
    parser.add_argument("--url", default="ws://127.0.0.1:9000/ocpp")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--version", choices=["1.6", "2.0.1", "mixed"], default="1.6")
    parser.add_argument("--duration", type=float, default=60, help="seconds")
    parser.add_argument("--session-every", type=float, default=30, help="seconds")
    parser.add_argument("--id-prefix", default="SIM-")
    parser.add_argument("--password", default="sim-password")
    parser.add_argument("--id-tag", action="append", dest="id_tags", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        report = simulate(
            args.url,
            args.count,
            args.version,
            args.duration,
            args.session_every,
            args.id_prefix,
            args.password,
            args.id_tags,
        )
    except (OSError, InvalidHandshake) as exc:
        sys.stderr.write(f"simulation failed: {exc}\n")
        return 1
    sys.stdout.write(report.summary() + "\n")
    return 0 if not report.failures else 1
