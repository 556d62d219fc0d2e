"""A local HTTP server that behaves as Mollie's public v2 API documentation
describes, for the parts the platform uses: customers, mandates, payments
(first and recurring), refunds, chargebacks. In-memory state, a real socket.

As documented (docs.mollie.com/reference): bearer API keys `test_…`/`live_…`
(401 otherwise); HAL JSON bodies (`application/hal+json`) with `_links`;
error objects `{status, title, detail, field?, _links.documentation}`;
amounts as `{currency, value}` with exactly two decimals (422 otherwise);
lists as `{count, _embedded: {<resource>s: [...]}, _links: {self, previous,
next, documentation}}` paged with `from` and `limit`; the `Idempotency-Key`
header replays the first answer; a recurring payment needs a valid mandate
(422 on `sequenceType`); a first payment that is paid creates the mandate.

Tests drive what the bank and customer do (`set_status`, `chargeback`,
`complete_refund`) and inject faults (`fail_next`, `delay_next`).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
import threading
import time
from decimal import Decimal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HAL = "application/hal+json"
DOCS = {"href": "https://docs.mollie.com/reference/", "type": "text/html"}
_TITLES = {401: "Unauthorized Request", 404: "Not Found", 422: "Unprocessable Entity",
           503: "Service Unavailable", 400: "Bad Request"}


class MollieError(Exception):
    def __init__(self, status: int, detail: str, field: str | None = None):
        self.status, self.detail, self.field = status, detail, field


def _amount(cents: int, currency: str = "EUR") -> dict:
    return {"currency": currency, "value": f"{Decimal(cents) / 100:.2f}"}


def _cents(amount) -> int:
    if not isinstance(amount, dict) or not re.fullmatch(r"-?\d+\.\d{2}", str(amount.get("value"))):
        raise MollieError(422, "The amount contains an invalid value", "amount.value")
    return int(Decimal(amount["value"]) * 100)


class FakeMollie:
    def __init__(self, *, fee_cents: int = 29) -> None:
        self.customers: dict[str, dict] = {}
        self.mandates: dict[str, list[dict]] = {}
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, list[dict]] = {}
        self.chargebacks: dict[str, list[dict]] = {}
        self.idempotent: dict[tuple[str, str], tuple[int, dict]] = {}
        self.requests: list[tuple[str, str]] = []
        self.fee_cents = fee_cents
        self._faults: list[tuple[str, float]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.base_url = ""
        self.app = Starlette(routes=[
            Route("/v2/customers", self._customers, methods=["POST", "GET"]),
            Route("/v2/customers/{cid}", self._customer, methods=["GET"]),
            Route("/v2/customers/{cid}/mandates", self._mandates, methods=["GET"]),
            Route("/v2/payments", self._payments, methods=["POST", "GET"]),
            Route("/v2/payments/{pid}", self._payment, methods=["GET"]),
            Route("/v2/payments/{pid}/refunds", self._refunds, methods=["GET", "POST"]),
            Route("/v2/payments/{pid}/chargebacks", self._chargebacks, methods=["GET"]),
        ])

    # --- what the customer, the bank and the network do (driven by tests) ---

    def set_status(self, pid: str, status: str) -> None:
        with self._lock:
            p = self.payments[pid]
            p["status"] = status
            if status == "paid":
                p["paidAt"] = _now()
                p["settlementAmount"] = _amount(_cents(p["amount"]) - self.fee_cents)
                if p["sequenceType"] == "first":  # the first payment creates the mandate
                    mandate = {"resource": "mandate", "id": self._id("mdt"), "status": "valid",
                               "method": "directdebit", "createdAt": _now(),
                               "details": {"consumerName": "Test", "consumerAccount":
                                           "NL55INGB0000000000"}}
                    self.mandates.setdefault(p["customerId"], []).append(mandate)
                    p["mandateId"] = mandate["id"]
            elif status in ("failed", "expired", "canceled"):
                p[f"{status}At"] = _now()

    def chargeback(self, pid: str, cents: int | None = None) -> str:
        with self._lock:
            p = self.payments[pid]
            cb = {"resource": "chargeback", "id": self._id("chb"), "paymentId": pid,
                  "amount": _amount(cents or _cents(p["amount"])), "createdAt": _now(),
                  "reason": {"code": "MD06", "description": "Refund request by end customer"}}
            self.chargebacks.setdefault(pid, []).append(cb)
            return cb["id"]

    def complete_refund(self, rid: str) -> None:
        with self._lock:
            for refunds in self.refunds.values():
                for r in refunds:
                    if r["id"] == rid:
                        r["status"] = "refunded"

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        self._faults += [(f"http{status}", 0.0)] * n

    def delay_next(self, seconds: float, n: int = 1) -> None:
        self._faults += [("delay", seconds)] * n

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}fake"

    # --- HTTP ---

    async def _handle(self, request: Request, handler):
        self.requests.append((request.method, request.url.path))
        if self._faults:
            kind, seconds = self._faults.pop(0)
            if kind == "delay":
                await asyncio.sleep(seconds)
            else:
                return _error(MollieError(int(kind[4:]), "The service is temporarily unavailable"))
        auth = request.headers.get("authorization", "")
        if not re.fullmatch(r"Bearer (test|live)_\w{10,}", auth):
            return _error(MollieError(401, "Missing authentication, or failed to authenticate"))
        key = request.headers.get("idempotency-key")
        if request.method == "POST" and key and (request.url.path, key) in self.idempotent:
            status, body = self.idempotent[(request.url.path, key)]
            return JSONResponse(body, status, media_type=HAL,
                                headers={"Idempotent-Replayed": "true"})
        try:
            data = await request.json() if request.method == "POST" else {}
            with self._lock:
                status, body = handler(request, data)
        except MollieError as exc:
            return _error(exc)
        if request.method == "POST" and key:
            self.idempotent[(request.url.path, key)] = (status, body)
        return JSONResponse(body, status, media_type=HAL)

    @staticmethod
    def _known(request: Request, param: str, store: dict, what: str) -> str:
        """The id in the URL's `param` when `store` holds it; Mollie's 404 otherwise."""
        key = request.path_params[param]
        if key not in store:
            raise MollieError(404, f"No {what} exists with token {key}.")
        return key

    def _link(self, path: str) -> dict:
        return {"href": f"{self.base_url}{path}", "type": HAL}

    async def _customers(self, request: Request):
        def create(request, data):
            if request.method == "GET":
                return 200, self._list(request, "customers", list(self.customers.values()))
            cid = self._id("cst")
            self.customers[cid] = {"resource": "customer", "id": cid, "mode": "test",
                                   "name": data.get("name"), "email": data.get("email"),
                                   "metadata": data.get("metadata"), "createdAt": _now()}
            return 201, self._customer_body(cid)
        return await self._handle(request, create)

    def _customer_body(self, cid: str) -> dict:
        return {**self.customers[cid], "_links": {
            "self": self._link(f"/v2/customers/{cid}"),
            "mandates": self._link(f"/v2/customers/{cid}/mandates"),
            "payments": self._link(f"/v2/customers/{cid}/payments"), "documentation": DOCS}}

    async def _customer(self, request: Request):
        def get(request, data):
            cid = self._known(request, "cid", self.customers, "customer")
            return 200, self._customer_body(cid)
        return await self._handle(request, get)

    async def _mandates(self, request: Request):
        def get(request, data):
            cid = self._known(request, "cid", self.customers, "customer")
            return 200, self._list(request, "mandates", self.mandates.get(cid, []))
        return await self._handle(request, get)

    async def _payments(self, request: Request):
        def create(request, data):
            if request.method == "GET":
                return 200, self._list(request, "payments",
                                       [self._payment_body(p) for p in self.payments])
            cents = _cents(data.get("amount"))
            if cents <= 0:
                raise MollieError(422, "The amount is lower than the minimum", "amount")
            sequence = data.get("sequenceType", "oneoff")
            cid = data.get("customerId")
            if sequence in ("first", "recurring") and cid not in self.customers:
                raise MollieError(422, "The customer id is invalid", "customerId")
            valid = [m for m in self.mandates.get(cid, []) if m["status"] == "valid"]
            if sequence == "recurring" and not valid:
                raise MollieError(422, "The customer has no valid mandate for this sequence "
                                  "type", "sequenceType")
            pid = self._id("tr")
            self.payments[pid] = {
                "resource": "payment", "id": pid, "mode": "test", "createdAt": _now(),
                "amount": data["amount"], "description": data.get("description", ""),
                "method": "directdebit" if sequence == "recurring" else None,
                "metadata": data.get("metadata"), "status": "pending" if sequence ==
                "recurring" else "open", "isCancelable": True, "sequenceType": sequence,
                "customerId": cid, "mandateId": valid[0]["id"] if valid else None,
                "webhookUrl": data.get("webhookUrl"), "redirectUrl": data.get("redirectUrl"),
                "profileId": "pfl_fake000001",
            }
            return 201, self._payment_body(pid)
        return await self._handle(request, create)

    def _payment_body(self, pid: str) -> dict:
        p = self.payments[pid]
        refunded = sum(_cents(r["amount"]) for r in self.refunds.get(pid, [])
                       if r["status"] != "failed")
        links = {"self": self._link(f"/v2/payments/{pid}"), "documentation": DOCS}
        if p["status"] == "open" and p["sequenceType"] != "recurring":
            links["checkout"] = {"href": f"https://www.mollie.com/checkout/{pid}",
                                 "type": "text/html"}
        if self.refunds.get(pid):
            links["refunds"] = self._link(f"/v2/payments/{pid}/refunds")
        if self.chargebacks.get(pid):
            links["chargebacks"] = self._link(f"/v2/payments/{pid}/chargebacks")
        body = {k: v for k, v in p.items() if v is not None}
        if refunded:
            body["amountRefunded"] = _amount(refunded)
        return {**body, "_links": links}

    async def _payment(self, request: Request):
        def get(request, data):
            pid = self._known(request, "pid", self.payments, "payment")
            return 200, self._payment_body(pid)
        return await self._handle(request, get)

    async def _refunds(self, request: Request):
        def handle(request, data):
            pid = self._known(request, "pid", self.payments, "payment")
            if request.method == "GET":
                return 200, self._list(request, "refunds", self.refunds.get(pid, []))
            p = self.payments[pid]
            cents = _cents(data.get("amount"))
            done = sum(_cents(r["amount"]) for r in self.refunds.get(pid, []))
            if p["status"] != "paid" or cents + done > _cents(p["amount"]):
                raise MollieError(422, "The payment cannot be refunded for this amount",
                                  "amount")
            refund = {"resource": "refund", "id": self._id("re"), "paymentId": pid,
                      "amount": data["amount"], "status": "pending",
                      "description": data.get("description", ""), "createdAt": _now()}
            self.refunds.setdefault(pid, []).append(refund)
            return 201, {**refund, "_links": {"self": self._link(
                f"/v2/payments/{pid}/refunds/{refund['id']}"), "documentation": DOCS}}
        return await self._handle(request, handle)

    async def _chargebacks(self, request: Request):
        def get(request, data):
            pid = self._known(request, "pid", self.payments, "payment")
            return 200, self._list(request, "chargebacks", self.chargebacks.get(pid, []))
        return await self._handle(request, get)

    def _list(self, request: Request, name: str, items: list) -> dict:
        limit = min(int(request.query_params.get("limit", 50)), 250)
        start = request.query_params.get("from")
        ids = [i["id"] if isinstance(i, dict) else i for i in items]
        offset = ids.index(start) if start in ids else 0
        page = items[offset:offset + limit]
        path = request.url.path
        nxt = (self._link(f"{path}?from={ids[offset + limit]}&limit={limit}")
               if offset + limit < len(items) else None)
        prev = (self._link(f"{path}?from={ids[max(0, offset - limit)]}&limit={limit}")
                if offset else None)
        return {"count": len(page), "_embedded": {name: page},
                "_links": {"self": self._link(f"{path}?limit={limit}"), "previous": prev,
                           "next": nxt, "documentation": DOCS}}


def _error(exc: MollieError) -> JSONResponse:
    body = {"status": exc.status, "title": _TITLES.get(exc.status, "Error"), "detail": exc.detail,
            "_links": {"documentation": DOCS}}
    if exc.field:
        body["field"] = exc.field
    return JSONResponse(body, exc.status, media_type=HAL)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


class RunningFake:
    """The fake on a free port of 127.0.0.1, in a thread of the test process."""

    def __init__(self, fake: FakeMollie) -> None:
        self.fake = fake
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        fake.base_url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FakeMollie:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Mollie server did not start")
            time.sleep(0.02)
        return self.fake

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
