"""Adding a charging point (DOMAIN.md §9), the two ways:

* **pre-approved**: its OCPP id is reserved now (`db.tree_service.add_charging_point`);
  its first accepted BootNotification completes onboarding and starts the
  billable period (`db.ocpp_connections.record_boot`).
* **energized and connected**: the charger is online right now, held as
  *pending* because nobody claimed it yet; `claim_energized_charging_point`
  moves it into the tree and starts its billable period now. Anything else is
  refused with a message that says what to do.

Both follow the one lifecycle rule (`domain.charging_point_lifecycle`), which
also decides the billable start.

Service functions with keyword-only arguments; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ChargingPoint, Connector, Location
from domain import charging_point_lifecycle as lifecycle
from domain.charger_ids import ocpp_id_key, ocpp_id_problem
from domain.charger_secrets import is_charger_secret_hash, verify_charger_secret
from domain.enums import ChargingPointState as State
from domain.errors import ChargerNotConnected, ChargingPointExists, ClaimNotProven, OnboardingError
from ocpp_ingest.options import IngestOptions

__all__ = [
    "ChargerNotConnected",
    "ChargingPointExists",
    "ClaimNotProven",
    "OnboardingError",
    "claim_energized_charging_point",
]


def _proves(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    if is_charger_secret_hash(password_hash):
        return verify_charger_secret(password_hash, password)
    from db.passwords import verify_password  # a legacy argon2 hash

    return verify_password(password_hash, password)


def _ingest_url(ingest_url: str | None) -> str:
    # The entry point passes the address chargers use (it knows the settings).
    return ingest_url.rstrip("/") if ingest_url else "the platform's OCPP address"


def _check_location(session: Session, *, customer_id: int, location_id: int) -> None:
    location = session.get(Location, location_id)
    if location is None or location.customer_id != customer_id:
        raise OnboardingError(f"location {location_id} does not belong to customer {customer_id}")


def claim_energized_charging_point(
    session: Session,
    *,
    ocpp_id: str,
    customer_id: int,
    location_id: int,
    password: str = "",
    claim_code: str | None = None,
    name: str = "",
    subscription_plan_id: int | None = None,
    ingest_url: str | None = None,
    offline_after_s: float = IngestOptions.offline_after_s,
    now: datetime | None = None,
) -> ChargingPoint:
    """Add a charging point that is powered on and connected right now: it must be
    a *pending* charger that is online (and heard from within `offline_after_s`),
    and `password` must be the one the connected device presented — the
    installer reads it from the charger's configuration (docs/decisions.md):
    whoever connected first with someone else's id cannot be claimed by them.
    A `claim_code` is the same secret as printed on the charger's label (either
    proves possession). Its billable period starts now. The charger's next BootNotification (it
    retries while pending) is accepted."""
    now = now or utcnow()
    problem = ocpp_id_problem(ocpp_id)
    if problem is not None:
        raise OnboardingError(f"OCPP id {ocpp_id!r} is not valid: {problem}")
    cp = session.execute(
        select(ChargingPoint)
        .where(func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id))
        .with_for_update()
    ).scalar_one_or_none()
    if cp is not None and cp.state != State.PENDING:
        raise ChargingPointExists(
            f"charging point {ocpp_id} is already added (state {cp.state.value})"
        )
    recent = (
        cp is not None
        and cp.last_seen_at is not None
        and now - cp.last_seen_at <= timedelta(seconds=offline_after_s)
    )
    if cp is None or not cp.online or not recent:
        url = _ingest_url(ingest_url)
        raise ChargerNotConnected(
            f"charger {ocpp_id} is not connected: power it on and point it at "
            f"{url}/{ocpp_id}, or add it as pre-approved"
        )
    password = password or claim_code or ""
    if not password or not _proves(cp.password_hash, password):
        raise ClaimNotProven(
            f"the password does not match the one charger {cp.ocpp_id} connected with: "
            "enter the password configured on the charger itself (if it is right, the "
            "device online under this id is not yours)"
        )
    _check_location(session, customer_id=customer_id, location_id=location_id)
    cp.customer_id, cp.location_id = customer_id, location_id
    cp.name = name or cp.name or cp.ocpp_id
    cp.subscription_plan_id = subscription_plan_id
    # Energized and connected: billable from now (unless it already counted).
    claimed = lifecycle.claim(first_connected_at=cp.first_connected_at, now=now)
    cp.state, cp.first_connected_at = claimed.state, claimed.first_connected_at
    if not cp.connectors:
        cp.connectors.append(Connector(number=1))
    session.flush()
    return cp
