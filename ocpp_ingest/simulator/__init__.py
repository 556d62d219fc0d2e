"""A charger fleet simulator on the `ocpp` library's charge-point side (the
platform's own tests, benches and `energycloud simulate`; never part of the ingest):

* `charger.py`: `SimulatedCharger`, one charger over a real websocket;
* `protocol.py`: what a 1.6 and a 2.0.1 charger say, and how they answer remote actions;
* `fleet.py`: `run_fleet`, `simulate` (the CLI command) and `main(argv)`
  (`python -m ocpp_ingest.simulator`)."""

from ocpp_ingest.simulator.charger import SimSession, SimStats, SimulatedCharger
from ocpp_ingest.simulator.fleet import SimulationReport, main, run_fleet, simulate

__all__ = [
    "SimSession",
    "SimStats",
    "SimulatedCharger",
    "SimulationReport",
    "main",
    "run_fleet",
    "simulate",
]
