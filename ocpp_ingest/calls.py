"""A charger's call handled as the `ocpp` library handles it
(`ChargePoint._handle_call`: schema validation of the call and of our answer,
camelCase keys to snake_case arguments and back), without the work the library
repeats for every message although its result never changes: the handler's
signature (`inspect.signature`, to see whether it takes `call_unique_id`) and the
regular expressions that convert each key. Measured with bench/ocpp_load.py and
py-spy: at 1,500 chargers these were about a tenth of the event loop's time.

Both are remembered per handler function and per key; keys a charger invents
are remembered only while few and short, so a charger cannot grow the caches.
A route with an `@after` hook takes the library's own path.

Schema validation (of the call and of our answer) stays, with the library's
schemas and errors: a payload is first checked by the same schema compiled
with `jsonschema_rs` (about a microsecond; the library's pure-Python
`jsonschema` took ~150-400 us for a MeterValues, the largest share of a
message's cost). Only a payload that passes is taken as valid; one that does
not goes to the library's validation, which raises the error the charger gets
(or, should the two ever disagree, passes it: the library has the last word).
The fast check is never more lenient than the library's (a test compares them)."""

from __future__ import annotations

import inspect

from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict
from ocpp.charge_point import snake_to_camel_case as _library_camel
from ocpp.messages import MessageType, get_validator, validate_payload

try:
    import jsonschema_rs
except ImportError:  # pragma: no cover - a dependency; without it, the library alone
    jsonschema_rs = None

_MAX_KEYS = 4096
_MAX_KEY_LENGTH = 64
_SNAKE: dict[str, str] = {}
_CAMEL: dict[str, str] = {}
_TAKES_CALL_ID: dict[object, bool] = {}
_FAST: dict[tuple, object] = {}
# What the library validates with Decimal floats (OCPP 1.6 schedules): its path only.
_LIBRARY_ONLY = {
    (MessageType.Call, "SetChargingProfile"),
    (MessageType.Call, "RemoteStartTransaction"),
    (MessageType.CallResult, "GetCompositeSchedule"),
}


def fast_validator(message_type_id: int, action: str, version: str):
    """The library's schema for this message compiled by `jsonschema_rs`, or None
    (the library validates alone)."""
    key = (message_type_id, action, version)
    try:
        return _FAST[key]
    except KeyError:
        pass
    fast = None
    if jsonschema_rs is not None and not (
        version == "1.6" and (message_type_id, action) in _LIBRARY_ONLY
    ):
        try:
            schema = get_validator(message_type_id, action, version).schema
            fast = jsonschema_rs.Draft4Validator(schema)
        except Exception:  # noqa: BLE001 - no schema, or one it cannot compile
            fast = None
    if len(_FAST) < 512:
        _FAST[key] = fast
    return fast


async def validate(message, version: str) -> None:
    """`ocpp.messages.validate_payload`, a valid payload recognised in a microsecond."""
    fast = fast_validator(message.message_type_id, message.action, version)
    if fast is not None and fast.is_valid(message.payload):
        return
    await validate_payload(message, version)


def _key(key, cache: dict[str, str], convert) -> str:
    converted = cache.get(key)
    if converted is None:
        (converted,) = convert({key: None})
        if len(cache) < _MAX_KEYS and len(key) <= _MAX_KEY_LENGTH:
            cache[key] = converted
    return converted


def _keys(data, cache: dict[str, str], convert):
    """`data` with every dict key converted by `convert`, conversions remembered."""
    if isinstance(data, dict):
        return {_key(k, cache, convert): _keys(v, cache, convert) for k, v in data.items()}
    if isinstance(data, list):
        return [_keys(v, cache, convert) for v in data]
    return data


def snake_keys(data):
    """`ocpp.charge_point.camel_to_snake_case`, key conversions remembered."""
    return _keys(data, _SNAKE, camel_to_snake_case)


def camel_keys(data):
    """`ocpp.charge_point.snake_to_camel_case`, key conversions remembered."""
    return _keys(data, _CAMEL, _library_camel)


def _takes_call_id(handler) -> bool:
    function = getattr(handler, "__func__", handler)
    takes = _TAKES_CALL_ID.get(function)
    if takes is None:
        takes = "call_unique_id" in inspect.signature(handler).parameters
        _TAKES_CALL_ID[function] = takes
    return takes


class RememberingCalls:
    """Mixin placed before `ocpp.v16.ChargePoint` / `ocpp.v201.ChargePoint`."""

    async def _handle_call(self, msg):
        handlers = self.route_map.get(msg.action)
        if not handlers or "_on_action" not in handlers or "_after_action" in handlers:
            return await super()._handle_call(msg)
        validating = not handlers.get("_skip_schema_validation", False)
        if validating:
            await validate(msg, self._ocpp_version)
        arguments = snake_keys(msg.payload)
        handler = handlers["_on_action"]
        try:
            if _takes_call_id(handler):
                response = handler(**arguments, call_unique_id=msg.unique_id)
            else:
                response = handler(**arguments)
            if inspect.isawaitable(response):
                response = await response
        except Exception as e:  # noqa: BLE001 - as the library: answered with a CallError
            self.logger.exception("Error while handling request '%s'", msg)
            await self._send(msg.create_call_error(e).to_json())
            return None
        answer = msg.create_call_result(camel_keys(remove_nones(serialize_as_dict(response))))
        if validating:
            await validate(answer, self._ocpp_version)
        await self._send(answer.to_json())
        return response
