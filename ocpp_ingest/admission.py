"""Who may open a charger socket: security profile 1 at the websocket upgrade.

In order, each refusal logged with its reason and the source address:

* path `/ocpp/<ocpp_id>`, id valid by `domain.charger_ids` (400 otherwise), before
  anything touches the database;
* too many failed password checks for this id from this address: 429;
* HTTP Basic credentials whose username is the id (any case): else 401;
* a known charger: removed 403, wrong password 401 (the check is a fast HMAC;
  a legacy argon2 hash is checked at most one at a time and then replaced);
* an unknown charger: 404 unless `allow_unknown_chargers`; then 503 when
  `max_pending_chargers` are already held, 429 when its address made more than
  `pending_admissions_per_minute` new pending admissions;
* all of it within `auth_timeout_s` (503 and a log line otherwise, rather than
  the handshake silently cut at websockets' 10 s).
"""

from __future__ import annotations

import asyncio
import http
import logging
import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import unquote

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from db import ocpp_connections
from domain.charger_ids import ocpp_id_key, ocpp_id_problem
from domain.enums import ChargingPointState
from ocpp_ingest.auth import PasswordVerifier, VerifierBusy, hash_password, parse_basic_auth
from ocpp_ingest.budgets import KeyedBuckets
from ocpp_ingest.errors import excerpt

log = logging.getLogger(__name__)

PATH = re.compile(r"/ocpp/([^/?#]{1,200})/?")


@dataclass(frozen=True)
class Admission:
    ocpp_id: str
    # The hash to store on connect (pending chargers, chargers without one).
    set_password_hash: str | None = None
    # The stored hash this socket proved; its boot is Rejected if it changes.
    password_hash: str | None = None
    pending: bool = False
    cp_id: int | None = None  # the row authenticated against (None: a new charger)


class AuthLoader:
    """Batches the upgrade's database lookups: the handshakes that arrive while one
    query runs are answered by the next, one `IN (...)` query for all of them. A
    fleet reconnecting at once costs a few queries, not one thread hop each, and
    the database stays the authority (no cache to go stale)."""

    def __init__(self, ctx, max_batch: int = 500):
        self.ctx = ctx
        self.max_batch = max_batch
        self._waiting: dict[str, list[asyncio.Future]] = {}
        self._running = False

    async def load(self, ocpp_id: str) -> ocpp_connections.AuthRow | None:
        future = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(ocpp_id, []).append(future)
        if not self._running:
            self._running = True
            asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                ids = list(self._waiting)[: self.max_batch]
                futures = {i: self._waiting.pop(i) for i in ids}
                try:
                    rows = await self.ctx.read(
                        partial(ocpp_connections.load_auth_many, ocpp_ids=ids)
                    )
                except Exception as error:  # noqa: BLE001 - each handshake gets the error
                    for waiting in futures.values():
                        for f in waiting:
                            if not f.done():
                                f.set_exception(error)
                    continue
                for i, waiting in futures.items():
                    for f in waiting:
                        if not f.done():
                            f.set_result(rows.get(i))
        finally:
            self._running = False


class Admitter:
    def __init__(self, ctx, verifier: PasswordVerifier):
        self.ctx = ctx
        self.options = ctx.options
        self.verifier = verifier
        self.loader = AuthLoader(ctx)
        per_minute = self.options.pending_admissions_per_minute
        self.pending_by_address = KeyedBuckets(per_minute / 60, per_minute)
        failures = self.options.auth_failures_per_minute
        # Keyed by address and id: guessing one charger's password is slowed down,
        # while other chargers behind the same address (NAT, a load balancer that
        # hides client addresses) are not locked out by it.
        self.failures = KeyedBuckets(failures / 60, failures)
        self.refused: dict[int, int] = {}  # HTTP status -> count, for tests and metrics

    async def process_request(self, connection: ServerConnection, request: Request):
        address = _address(connection)
        try:
            async with asyncio.timeout(self.options.auth_timeout_s):
                return await self._admit(connection, request, address)
        except TimeoutError:
            return self._refuse(
                connection,
                http.HTTPStatus.SERVICE_UNAVAILABLE,
                f"authentication did not finish in {self.options.auth_timeout_s:g} s: retry",
                path=request.path,
                address=address,
            )

    async def _admit(self, connection, request: Request, address: str) -> Response | None:
        path = request.path.split("?", 1)[0]
        refuse = partial(self._refuse, connection, path=path, address=address)
        match = PATH.fullmatch(path)
        if not match:
            return refuse(http.HTTPStatus.NOT_FOUND, "Chargers connect at /ocpp/<ocpp_id>")
        ocpp_id = unquote(match.group(1), errors="replace")
        problem = ocpp_id_problem(ocpp_id)
        if problem is not None:
            return refuse(http.HTTPStatus.BAD_REQUEST, problem)
        credentials = parse_basic_auth(request.headers.get("Authorization"))
        if credentials is None or ocpp_id_key(credentials.username) != ocpp_id_key(ocpp_id):
            return refuse(
                http.HTTPStatus.UNAUTHORIZED,
                "HTTP Basic credentials required: username is the OCPP id",
            )
        guesses = f"{address} {ocpp_id_key(ocpp_id)}"
        if self.failures.empty(guesses):
            return refuse(
                http.HTTPStatus.TOO_MANY_REQUESTS,
                "too many failed password checks for this id from this address: retry later",
            )
        row = await self.loader.load(ocpp_id)
        if row is None:
            return await self._admit_unknown(connection, ocpp_id, credentials.password, address)
        if row.state == ChargingPointState.REMOVED.value:
            return refuse(http.HTTPStatus.FORBIDDEN, f"Charging point {row.ocpp_id} was removed")
        if row.password_hash is None:  # pre-approved without a password: it keeps this one
            new_hash = hash_password(credentials.password)
            connection.admission = Admission(row.ocpp_id, new_hash, new_hash)
            return None
        try:
            verdict = await self.verifier.check(row.password_hash, credentials.password)
        except VerifierBusy as busy:
            return refuse(http.HTTPStatus.SERVICE_UNAVAILABLE, f"{busy}: retry")
        if not verdict.ok and row.state == ChargingPointState.PENDING.value:
            # Unclaimed: the device connected now is the one a claim must prove,
            # so whoever came first with this id locks nobody out.
            return await self._admit_unknown(connection, row.ocpp_id, credentials.password, address)
        if not verdict.ok:
            self.failures.take(guesses)
            return refuse(http.HTTPStatus.UNAUTHORIZED, "Wrong password")
        password_hash = row.password_hash
        if verdict.upgraded_hash is not None:
            await self.ctx.write(
                partial(
                    ocpp_connections.replace_password_hash,
                    cp_id=row.id,
                    old=row.password_hash,
                    new=verdict.upgraded_hash,
                )
            )
            password_hash = verdict.upgraded_hash
        pending = row.state == ChargingPointState.PENDING.value
        set_hash = None
        if pending:  # it proved the current device's password; keep that hash
            set_hash = password_hash
        connection.admission = Admission(row.ocpp_id, set_hash, password_hash, pending, row.id)
        return None

    async def _admit_unknown(self, connection, ocpp_id: str, password: str, address: str):
        refuse = partial(self._refuse, connection, path=f"/ocpp/{ocpp_id}", address=address)
        if not self.options.allow_unknown_chargers:
            return refuse(http.HTTPStatus.NOT_FOUND, f"Unknown charging point {ocpp_id}")
        held = await self.ctx.read(ocpp_connections.count_pending)
        if held >= self.options.max_pending_chargers:
            return refuse(
                http.HTTPStatus.SERVICE_UNAVAILABLE,
                f"{held} unclaimed chargers are waiting already: claim or remove some first",
            )
        if not self.pending_by_address.take(address):
            return refuse(
                http.HTTPStatus.TOO_MANY_REQUESTS,
                "too many new chargers from this address: retry later",
            )
        new_hash = hash_password(password)
        connection.admission = Admission(ocpp_id, new_hash, new_hash, pending=True)
        return None

    def _refuse(
        self, connection, status: http.HTTPStatus, text: str, *, path: str, address: str
    ) -> Response:
        self.refused[status.value] = self.refused.get(status.value, 0) + 1
        level = logging.WARNING if status.value >= 500 or status.value == 429 else logging.INFO
        log.log(
            level,
            "refused charger connection %s from %s: %d %s",
            excerpt(path, 80),
            address,
            status.value,
            text,
        )
        response = connection.respond(status, text + "\n")
        if status == http.HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        if status in (http.HTTPStatus.TOO_MANY_REQUESTS, http.HTTPStatus.SERVICE_UNAVAILABLE):
            response.headers["Retry-After"] = "30"
        return response


def _address(connection: ServerConnection) -> str:
    try:
        return str(connection.remote_address[0])
    except (TypeError, IndexError, AttributeError):
        return "unknown"
