"""`ocpp_ingest/charge_point.py` uses three private parts of the `ocpp` library's
`ChargePoint` (it routes frames itself, so it can answer framing errors and keep
the socket): `_handle_call(msg)` and `_send(message)` coroutines and the
`_response_queue` its `call()` reads answers from. pyproject pins the version
range this was written against; these tests fail when the installed library
leaves the range or those parts change shape, before a charger finds out."""

from __future__ import annotations

import asyncio
import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

from ocpp.charge_point import ChargePoint
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v201 import ChargePoint as ChargePoint201
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _ocpp_requirement() -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [spec] = [d for d in dependencies if Requirement(d).name == "ocpp"]
    return Requirement(spec)


def test_the_ocpp_pin_is_a_bounded_range_and_the_installed_version_is_inside_it():
    requirement = _ocpp_requirement()
    operators = {spec.operator for spec in requirement.specifier}
    assert operators & {">=", ">"} and operators & {"<", "<=", "~=", "=="}, (
        f"ocpp must be pinned to a range with an upper bound, not {requirement}"
    )
    assert requirement.specifier.contains(version("ocpp")), (
        f"installed ocpp {version('ocpp')} is outside {requirement.specifier}"
    )


def test_the_private_parts_charge_point_uses_have_the_expected_shape():
    for cls in (ChargePoint, ChargePoint16, ChargePoint201):
        assert inspect.iscoroutinefunction(cls._handle_call)
        assert list(inspect.signature(cls._handle_call).parameters) == ["self", "msg"]
        assert inspect.iscoroutinefunction(cls._send)
        assert list(inspect.signature(cls._send).parameters) == ["self", "message"]


def test_a_charge_point_has_the_response_queue_its_call_reads_answers_from():
    class Connection:
        async def send(self, message):  # pragma: no cover - never called
            raise AssertionError(message)

        async def recv(self):  # pragma: no cover - never called
            raise AssertionError

    async def build():
        return ChargePoint16("CP-PIN", Connection())

    cp = asyncio.run(build())
    assert isinstance(cp._response_queue, asyncio.Queue)
    # call() waits for its answer through _get_specific_response, which reads it.
    assert "_response_queue" in inspect.getsource(ChargePoint._get_specific_response)


def _answers(base, calls):
    """What a charge point of class `base` + two handlers sends for `calls`
    (or the OCPPError its `_handle_call` raises)."""
    from ocpp.exceptions import OCPPError
    from ocpp.messages import unpack
    from ocpp.routing import on
    from ocpp.v16 import call_result

    class Connection:
        def __init__(self):
            self.sent = []

        async def send(self, message):
            self.sent.append(message)

    class Charger(base):
        @on("BootNotification")
        def on_boot(self, charge_point_vendor, charge_point_model, **kwargs):
            return call_result.BootNotification(
                current_time="2026-12-01T00:00:00Z", interval=len(kwargs), status="Accepted"
            )

        @on("MeterValues")
        async def on_meter_values(self, connector_id, meter_value, call_unique_id, **kwargs):
            if connector_id == 7:
                raise ValueError("handler failed")
            assert meter_value[0]["sampled_value"][0]["unit"] == "Wh"
            return call_result.MeterValues()

    async def run():
        connection = Connection()
        cp = Charger("CP-PIN", connection)
        outcomes = []
        for raw in calls:
            try:
                await cp._handle_call(unpack(raw))
            except OCPPError as error:
                outcomes.append(repr(error))
            outcomes.extend(connection.sent)
            connection.sent.clear()
        return outcomes

    return asyncio.run(run())


def test_calls_handled_as_the_library_handles_them():
    """`ocpp_ingest.calls.RememberingCalls` does what the library's `_handle_call`
    does, only remembering signatures and key conversions: same answers, same
    errors, for calls valid and not."""
    import json

    from ocpp_ingest.calls import RememberingCalls

    meter = {"timestamp": "2026-12-01T00:00:00Z",
             "sampledValue": [{"value": "10", "unit": "Wh", "measurand": "Power.Active.Import"}]}
    calls = [
        json.dumps(m)
        for m in (
            [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M",
                                         "chargeBoxSerialNumber": "S", "firmwareVersion": "1"}],
            [2, "2", "MeterValues", {"connectorId": 1, "transactionId": 5, "meterValue": [meter]}],
            [2, "3", "MeterValues", {"connectorId": 7, "meterValue": [meter]}],
            [2, "4", "BootNotification", {"chargePointVendor": "V"}],
            [2, "5", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "M"}],
            [2, "6", "MeterValues", {"connectorId": 1, "meterValue": [meter], "extra": 1}],
        )
    ]
    library = _answers(ChargePoint16, calls)
    assert len(library) == 6 and library[0].startswith('[3,"1"')
    assert _answers(type("Fast", (RememberingCalls, ChargePoint16), {}), calls) == library


_PAYLOADS = {
    "1.6": {
        "BootNotification": {"chargePointVendor": "V", "chargePointModel": "M",
                             "firmwareVersion": "1.0"},
        "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                               "timestamp": "2026-12-01T10:00:00Z", "info": "i"},
        "StartTransaction": {"connectorId": 1, "idTag": "TAG", "meterStart": 0,
                             "timestamp": "2026-12-01T10:00:00Z"},
        "StopTransaction": {"transactionId": 3, "meterStop": 10,
                            "timestamp": "2026-12-01T10:00:00Z",
                            "reason": "Local", "transactionData": [
                                {"timestamp": "2026-12-01T10:00:00Z",
                                 "sampledValue": [{"value": "10", "unit": "kWh"}]}]},
        "MeterValues": {"connectorId": 1, "transactionId": 3, "meterValue": [
            {"timestamp": "2026-12-01T10:00:00Z", "sampledValue": [
                {"value": "10", "unit": "Wh", "measurand": "Energy.Active.Import.Register",
                 "phase": "L1", "context": "Sample.Periodic"}]}]},
    },
    "2.0.1": {
        "BootNotification": {"reason": "PowerUp",
                             "chargingStation": {"model": "M", "vendorName": "V"}},
        "StatusNotification": {"timestamp": "2026-12-01T10:00:00Z",
                               "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
        "TransactionEvent": {"eventType": "Started", "timestamp": "2026-12-01T10:00:00Z",
                             "triggerReason": "Authorized", "seqNo": 0,
                             "transactionInfo": {"transactionId": "T1"},
                             "idToken": {"idToken": "TAG", "type": "ISO14443"},
                             "evse": {"id": 1, "connectorId": 1},
                             "meterValue": [{"timestamp": "2026-12-01T10:00:00Z",
                                             "sampledValue": [{"value": 1.5, "unitOfMeasure": {
                                                 "unit": "kWh", "multiplier": 0}}]}]},
    },
}
_ODD_VALUES = (1, 1.0, 1.5, -1, "x", "x" * 600, True, None, {}, [], [1], {"a": 1})


def _variants(value):
    """`value`, and it with one thing changed: each leaf swapped for an odd value,
    each key dropped, a key added."""
    yield value
    if isinstance(value, dict):
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
            for variant in _variants(value[key]):
                yield {**value, key: variant}
        yield {**value, "unexpected": 1}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for variant in _variants(item):
                yield [*value[:i], variant, *value[i + 1:]]
        yield []
    else:
        yield from _ODD_VALUES


def test_the_fast_schema_check_is_never_more_lenient_than_the_library():
    from ocpp.messages import MessageType, get_validator

    from ocpp_ingest.calls import fast_validator

    checked = 0
    for ocpp_version, payloads in _PAYLOADS.items():
        for action, payload in payloads.items():
            library = get_validator(MessageType.Call, action, ocpp_version)
            fast = fast_validator(MessageType.Call, action, ocpp_version)
            assert fast is not None and fast.is_valid(payload), (ocpp_version, action)
            for variant in _variants(payload):
                if fast.is_valid(variant):
                    assert library.is_valid(variant), (ocpp_version, action, variant)
                checked += 1
    assert checked > 500
