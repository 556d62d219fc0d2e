"""The simulated fleet of bench/ocpp_load.py: N chargers that boot, report
status, send heartbeats, meter values and sessions at a fixed interval, and what
one step of them measured (answered messages, latencies per action, errors, the
simulator's own CPU).

The window opens once every charger has answered its boot and first status, so
a step measures the steady state, not the connect backlog (bench/ocpp_storm.py
measures that)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

from bench.ocpp_load_servers import PASSWORD


@dataclass
class StepResult:
    kind: str
    chargers: int
    connected: int = 0
    booted: int = 0  # answered their boot and first status
    answered: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_action: dict[str, list[float]] = field(default_factory=dict)
    # CPU the simulator (this process) used over the step, in cores.
    simulator_cores: float = 0.0

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ts() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


async def charger(
    url: str,
    ocpp_id: str,
    interval: float,
    window: list[float],
    result: StepResult,
    ready: asyncio.Event,
) -> None:
    """One charger: boot, status, then one message every `interval` s; answers sent
    inside `window` ([start, stop], set when every charger is connected) count."""
    import base64

    from websockets.asyncio.client import connect

    auth = base64.b64encode(f"{ocpp_id}:{PASSWORD}".encode()).decode()
    seq = 0
    try:
        ws = await connect(
            f"{url}/{ocpp_id}",
            subprotocols=["ocpp1.6"],
            compression=None,
            additional_headers={"Authorization": f"Basic {auth}"},
            ping_interval=None,
            open_timeout=120,
            close_timeout=2,
        )
    except Exception:  # noqa: BLE001
        result.errors += 1
        return
    result.connected += 1

    async def call(action: str, payload: dict):
        nonlocal seq
        seq += 1
        uid = f"{seq}"
        sent = time.perf_counter()
        await ws.send(json.dumps([2, uid, action, payload]))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if msg[1] == uid:
                break
        if window[0] <= sent < window[1]:
            if msg[0] == 3:
                result.answered += 1
                elapsed = time.perf_counter() - sent
                result.latencies.append(elapsed)
                result.by_action.setdefault(action, []).append(elapsed)
            else:
                result.errors += 1
        return msg

    try:
        await call("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "L"})
        await call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": _ts()},
        )
        result.booted += 1
        await ready.wait()
        meter, tx, tick, since = 0, None, 0, 0
        session_tick = random.randrange(12)  # chargers start sessions at different times
        next_at = time.perf_counter() + random.uniform(0, interval)
        while True:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if time.perf_counter() >= window[1]:
                break
            next_at += interval
            tick += 1
            if tx is None and tick % 12 == session_tick:
                answer = await call(
                    "StartTransaction",
                    {"connectorId": 1, "idTag": "BENCH", "meterStart": meter, "timestamp": _ts()},
                )
                tx, since = answer[2].get("transactionId"), 0
            elif tx is not None and since >= 8:
                await call(
                    "StopTransaction",
                    {
                        "transactionId": tx,
                        "meterStop": meter,
                        "timestamp": _ts(),
                        "reason": "EVDisconnected",
                    },
                )
                tx = None
            elif tx is not None:
                meter += random.randint(5, 30)
                since += 1
                await call(
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "transactionId": tx,
                        "meterValue": [
                            {
                                "timestamp": _ts(),
                                "sampledValue": [
                                    {"value": str(meter), "unit": "Wh"},
                                    {
                                        "value": "11000",
                                        "measurand": "Power.Active.Import",
                                        "unit": "W",
                                    },
                                ],
                            }
                        ],
                    },
                )
            elif tick % 2:
                await call("Heartbeat", {})
            else:
                await call(
                    "StatusNotification",
                    {
                        "connectorId": 1,
                        "errorCode": "NoError",
                        "status": "Available",
                        "timestamp": _ts(),
                    },
                )
    except Exception:  # noqa: BLE001 - a dropped or stuck charger counts as an error
        result.errors += 1
    finally:
        await ws.close()


async def run_step(kind: str, url: str, n: int, interval: float, seconds: float) -> StepResult:
    result = StepResult(kind, n)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    ready = asyncio.Event()
    far = time.perf_counter() + 10**6
    window = [far, far]
    tasks = []
    for i in range(1, n + 1):
        tasks.append(
            asyncio.create_task(charger(url, f"BENCH-{i:05d}", interval, window, result, ready))
        )
        if i % 100 == 0:
            await asyncio.sleep(0.05)  # ramp: 100 connections at a time
    # Steady state is measured: the window opens once every charger has booted
    # (a connect storm is bench/ocpp_storm.py's), after one interval of warm-up.
    deadline = time.perf_counter() + 300
    while result.booted + result.errors < n and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    begin = time.perf_counter() + interval  # one interval of warm-up
    window[0], window[1] = begin, begin + seconds
    ready.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    result.seconds = seconds
    result.simulator_cores = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    return result


