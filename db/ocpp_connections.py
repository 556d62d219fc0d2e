"""Repository of charger connections: the charging point row as the ingest sees
it (who may connect, online on which node, last heard from) and the boot that
completes onboarding. The state changes follow `domain.charging_point_lifecycle`.

Several ingest nodes (ARCHITECTURE.md "How it runs"): the socket that connected
last owns the row (`connected_node`, `connection_id`), and a node writes
connection state only while its socket still owns it (compare-and-set), so a
charger that moved to another node is never taken back by the old node's late
disconnect, touch or sweep. Each node holds a lease (`ocpp_nodes`); a node past
its lease is gone, and so are its chargers' connections.

Keyword-only functions on a caller's database session (`db`); the caller owns the
transaction (the ingest's buffered writer, or a read off the event loop)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from db.base import UTCDateTime
from db.models import ChargingPoint, ChargingPointStatus, OcppNode
from domain import charging_point_lifecycle as lifecycle
from domain.charger_ids import ocpp_id_key
from domain.enums import ChargingPointState as State


def _lifecycle_case(column, transitions: dict[State, State]):
    """The lifecycle's socket transitions as one SQL expression on `column`."""
    return case(
        *((column == old.value, new.value) for old, new in transitions.items()), else_=column
    )


@dataclass(frozen=True)
class AuthRow:
    id: int
    state: str
    password_hash: str | None
    ocpp_id: str  # as registered (a charger may present it in another case)


_AUTH_COLUMNS = (
    ChargingPoint.id,
    ChargingPoint.state,
    ChargingPoint.password_hash,
    ChargingPoint.ocpp_id,
)


def load_auth(db: Session, *, ocpp_id: str) -> AuthRow | None:
    """The charging point `ocpp_id` names; ids equal but for case are the same
    charger (`domain.charger_ids`). The exact spelling is looked up first (the
    indexed, usual case)."""
    row = db.execute(select(*_AUTH_COLUMNS).where(ChargingPoint.ocpp_id == ocpp_id)).first()
    if row is None:
        row = db.execute(
            select(*_AUTH_COLUMNS).where(func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id))
        ).first()
    if row is None:
        return None
    return AuthRow(row.id, str(row.state), row.password_hash, row.ocpp_id)


def load_auth_many(db: Session, *, ocpp_ids: list[str]) -> dict[str, AuthRow | None]:
    """`load_auth` for many ids in one query (a reconnect storm's handshakes are
    batched, see `ocpp_ingest.admission.AuthLoader`)."""
    found = {
        row.ocpp_id: AuthRow(row.id, str(row.state), row.password_hash, row.ocpp_id)
        for row in db.execute(
            select(*_AUTH_COLUMNS).where(ChargingPoint.ocpp_id.in_(ocpp_ids))
        )
    }
    return {i: found[i] if i in found else load_auth(db, ocpp_id=i) for i in ocpp_ids}


def count_pending(db: Session) -> int:
    return db.scalar(
        select(func.count()).select_from(ChargingPoint).where(ChargingPoint.state == State.PENDING)
    )


def replace_password_hash(db: Session, *, cp_id: int, old: str, new: str) -> None:
    """A legacy (argon2) hash that just matched becomes the fast form, unless the
    password was changed meanwhile."""
    t = ChargingPoint.__table__
    db.execute(
        update(t).where(t.c.id == cp_id, t.c.password_hash == old).values(password_hash=new)
    )


_CP = ChargingPoint.__table__
_ONLINE = (
    update(_CP)
    .where(_CP.c.id == bindparam("b_id"))
    .values(
        online=True,
        connected_node=bindparam("b_node"),
        connection_id=bindparam("b_connection"),
        last_seen_at=bindparam("b_now", type_=UTCDateTime()),
        ocpp_protocol=bindparam("b_protocol"),
        state=_lifecycle_case(_CP.c.state, lifecycle.ON_CONNECT),
    )
    .returning(_CP.c.first_connected_at)
)


@dataclass(frozen=True)
class Connected:
    """A socket's charging point, and when it was first connected (the ingest
    checks charger timestamps against it; `None`: not yet)."""

    cp_id: int
    first_connected_at: datetime | None


def on_connect(db: Session, **kwargs) -> int:
    """`connect`, returning the charging point id."""
    return connect(db, **kwargs).cp_id


def connect(
    db: Session,
    *,
    ocpp_id: str,
    protocol: str,
    node: str,
    now: datetime,
    connection: str,
    set_password_hash: str | None = None,
    cp_id: int | None = None,
) -> Connected:
    """Mark the charger online on this node, owned by socket `connection` from now
    on (whichever node held it before); an unknown charger becomes *pending*
    (DOMAIN.md §9: held so it can be claimed). Returns the charging point id and
its `first_connected_at` (read in the same statement: no read of its own).

    `set_password_hash` is the hash of the password this socket presented, stored
    for a charger without one and for a *pending* one: until it is claimed, the
    device connected now is the one whose password a claim must prove
    (`ocpp_ingest.onboarding`), so an impostor that came first locks nobody out.

    `cp_id`: the row the upgrade authenticated against; a known charger with no
    hash to store is marked with one Core statement (a reconnect storm runs this
    thousands of times)."""
    if cp_id is not None and not set_password_hash:
        marked = db.connection().execute(
            _ONLINE,
            {
                "b_id": cp_id,
                "b_node": node,
                "b_connection": connection,
                "b_now": now,
                "b_protocol": protocol,
            },
        )
        row = marked.first()
        if row is not None:
            return Connected(cp_id, row.first_connected_at)
    cp = db.execute(
        select(ChargingPoint).where(ChargingPoint.ocpp_id == ocpp_id)
    ).scalar_one_or_none() or db.execute(
        select(ChargingPoint).where(func.lower(ChargingPoint.ocpp_id) == ocpp_id_key(ocpp_id))
    ).scalar_one_or_none()
    if cp is None:
        cp = ChargingPoint(ocpp_id=ocpp_id, state=State.PENDING, name=ocpp_id)
        db.add(cp)
    if set_password_hash and (not cp.password_hash or cp.state == State.PENDING):
        cp.password_hash = set_password_hash
    cp.online = True
    cp.connected_node = node
    cp.connection_id = connection
    cp.last_seen_at = now
    cp.ocpp_protocol = protocol
    cp.state = lifecycle.after_connect(cp.state)
    db.flush()
    return Connected(cp.id, cp.first_connected_at)


def _owned_by(t, node: str, connection):
    return (t.c.connected_node == node, t.c.connection_id == connection)


_OFFLINE = (
    update(_CP)
    .where(
        _CP.c.id == bindparam("b_id"),
        *_owned_by(_CP, bindparam("b_node"), bindparam("b_connection")),
    )
    .values(
        online=False,
        connected_node=None,
        last_seen_at=bindparam("b_now", type_=UTCDateTime()),
        state=_lifecycle_case(_CP.c.state, lifecycle.ON_DISCONNECT),
    )
)


def on_disconnect(db: Session, *, cp_id: int, node: str, connection: str, now: datetime) -> None:
    """Offline, unless another socket (on any node) holds it by now. One statement
    built once (a node losing its network disconnects thousands at once)."""
    db.connection().execute(
        _OFFLINE, {"b_id": cp_id, "b_node": node, "b_connection": connection, "b_now": now}
    )


def touch_many(
    db: Session, *, node: str, seen: dict[int, datetime], connections: dict[int, str]
) -> None:
    """Coalesced last_seen_at updates of chargers whose row socket `connections[id]`
    still owns; such a charger is online again (a sweep that took this node for
    dead was wrong). A charger owned by a newer socket is left alone."""
    params = [
        {"cp_id": k, "ts": v, "conn": connections[k]} for k, v in seen.items() if k in connections
    ]
    if not params:
        return
    t = ChargingPoint.__table__
    stmt = (
        update(t)
        .where(t.c.id == bindparam("cp_id"), t.c.connection_id == bindparam("conn"))
        .values(
            last_seen_at=bindparam("ts", type_=UTCDateTime()),
            online=True,
            connected_node=node,
            state=_lifecycle_case(t.c.state, lifecycle.ON_CONNECT),
        )
    )
    db.connection().execute(stmt, params)


def sweep_offline(
    db: Session, *, node: str, now: datetime, cutoff: datetime, keep: list[int] = ()
) -> list[str]:
    """Chargers silent since before `cutoff` are offline (except `keep`: the
    caller knows they are alive); returns their OCPP ids. A node sweeps its own
    chargers and those of nodes past their lease (crashed: nobody else can),
    never another live node's. The row keeps its `connection_id`, so a socket
    that was alive after all brings it back (`touch_many`)."""
    t = ChargingPoint.__table__
    live_nodes = select(OcppNode.node_id).where(OcppNode.alive_until >= now)
    silent = [
        t.c.online.is_(True),
        t.c.last_seen_at < cutoff,
        or_(
            t.c.connected_node == node,
            t.c.connected_node.is_(None),
            t.c.connected_node.not_in(live_nodes),
        ),
    ]
    if keep:
        silent.append(t.c.id.not_in(list(keep)))
    ids = db.execute(select(t.c.ocpp_id).where(*silent)).scalars().all()
    if ids:
        db.execute(
            update(t)
            .where(*silent)
            .values(
                online=False,
                connected_node=None,
                state=_lifecycle_case(t.c.state, lifecycle.ON_DISCONNECT),
            )
        )
    return list(ids)


@dataclass(frozen=True)
class Booted:
    registration: str  # the OCPP RegistrationStatus
    first_connected_at: datetime | None


_BOOT_READ = select(
    _CP.c.password_hash, _CP.c.ocpp_protocol, _CP.c.state, _CP.c.first_connected_at
).where(_CP.c.id == bindparam("b_id"))
_BOOT_WRITE = (
    update(_CP)
    .where(_CP.c.id == bindparam("b_id"))
    .values(
        vendor=bindparam("b_vendor"),
        model=bindparam("b_model"),
        firmware_version=bindparam("b_firmware"),
        serial_number=func.coalesce(bindparam("b_serial"), _CP.c.serial_number),
        state=bindparam("b_state"),
        first_connected_at=bindparam("b_first", type_=UTCDateTime()),
    )
)
_STATION = ChargingPointStatus.__table__
_STATION_FORGET = delete(_STATION).where(_STATION.c.charging_point_id == bindparam("b_id"))


def record_boot(db: Session, **kwargs) -> str:
    """`boot`, returning the OCPP RegistrationStatus."""
    return boot(db, **kwargs).registration


def boot(
    db: Session,
    *,
    cp_id: int,
    vendor: str | None,
    model: str | None,
    firmware_version: str | None,
    serial_number: str | None,
    now: datetime,
    password_hash: str | None = None,
) -> Booted:
    """Record what the charger says it is; the first accepted boot of a
    pre-approved charging point completes onboarding and starts its billable
    period (DOMAIN.md §6, §9). Returns the OCPP RegistrationStatus and the
    charging point's `first_connected_at` after the boot.

    `password_hash` is the hash this socket was admitted with: when the stored one
    differs (a claim set the owner's password, or it was changed), this socket
    did not prove the current password and is `Rejected`.

    Core statements, a read and a write (every charger boots on connecting: a
    reconnect storm runs this thousands of times)."""
    connection = db.connection()
    cp = connection.execute(_BOOT_READ, {"b_id": cp_id}).one()
    if password_hash is not None and cp.password_hash != password_hash:
        return Booted("Rejected", cp.first_connected_at)
    if cp.ocpp_protocol == "ocpp2.0.1":
        # A 2.0.1 station reports its availability per connector after a boot; a
        # station-level status (evse 0) from before the boot no longer holds.
        connection.execute(_STATION_FORGET, {"b_id": cp_id})
    outcome = lifecycle.boot(cp.state, first_connected_at=cp.first_connected_at, now=now)
    connection.execute(
        _BOOT_WRITE,
        {
            "b_id": cp_id,
            "b_vendor": vendor,
            "b_model": model,
            "b_firmware": firmware_version,
            "b_serial": serial_number or None,
            "b_state": State(outcome.state).value,
            "b_first": outcome.first_connected_at,
        },
    )
    return Booted(outcome.registration, outcome.first_connected_at)


def first_connected_at(db: Session, *, cp_id: int) -> datetime | None:
    return db.scalar(select(ChargingPoint.first_connected_at).where(ChargingPoint.id == cp_id))
