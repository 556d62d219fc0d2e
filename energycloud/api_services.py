"""What the API process gets from the layers it may not import itself (the
ingest is its sibling): remote actions and claiming a connected charger. The
entry point (`energycloud api`) and the tests build them here."""

from __future__ import annotations

import inspect
from functools import partial

from api.services import ApiServices
from domain.errors import Invalid


def make_api_services(
    *,
    task_queue: str = "energycloud",
    ingest_url: str | None = None,
    offline_after_s: float | None = None,
    command_timeout_s: float = 10.0,
) -> ApiServices:
    from ocpp_ingest.onboarding import claim_energized_charging_point
    from ocpp_ingest.remote_actions import RemoteActions
    from workflows.session_gateway import SessionGateway

    def remote_actions(client, factory):
        gateway = SessionGateway(client, factory, task_queue=task_queue)
        return RemoteActions(client, factory, timeout_s=command_timeout_s, gateway=gateway)

    accepted = inspect.signature(claim_energized_charging_point).parameters
    bound = partial(claim_energized_charging_point, ingest_url=ingest_url,
                    offline_after_s=offline_after_s)

    def claim(db, **kwargs):
        # A proof the onboarding of this version does not know is refused, not ignored.
        unknown = sorted(name for name in kwargs if name not in accepted)
        if unknown:
            raise Invalid(f"{', '.join(unknown)} is not accepted by this platform version",
                          code="onboarding.unsupported_proof")
        return bound(db, **kwargs)

    return ApiServices(remote_actions=remote_actions, claim_charger=claim)
