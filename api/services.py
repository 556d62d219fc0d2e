"""Services the API uses but may not import (the ingest is its sibling layer):
the process entry point (`energycloud api`, tests) hands them to `create_app`.

* `remote_actions(client, session_factory)` → an object with `async run(action, charging_point_id,
  connector=None, *, requested_by)` returning an outcome with `command_id`,
  `status`, `ocpp_action`, `answer` (ocpp_ingest.remote_actions.RemoteActions).
* `claim_charger(db, *, ocpp_id, customer_id, location_id, name, **proof)` → the
  claimed ChargingPoint, raising a ValueError with a sentence when it cannot be
  claimed (ocpp_ingest.onboarding.claim_energized_charging_point).

Without them the endpoints answer 503 with a sentence that says so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiServices:
    remote_actions: Callable[[Any], Any] | None = None
    claim_charger: Callable[..., Any] | None = None
