"""What the benchmarks that bulk-write charging sessions (COPY) need to know of
the seeded world (bench/api_transactions.py, bench/settlement_pg.py)."""

from __future__ import annotations

from sqlalchemy import select

from db.models import ChargingPoint, Customer, Location


def charging_point_owners(db) -> list:
    """Every charging point as `(id, ocpp_id, customer_id, organization_id,
    partner_id)`: the columns a session row on it carries. `db` is an ORM
    session or a Core connection."""
    return db.execute(
        select(
            ChargingPoint.id,
            ChargingPoint.ocpp_id,
            ChargingPoint.customer_id,
            Location.organization_id,
            Customer.partner_id,
        )
        .join(Location, Location.id == ChargingPoint.location_id)
        .join(Customer, Customer.id == ChargingPoint.customer_id)
    ).all()
