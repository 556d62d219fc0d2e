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
