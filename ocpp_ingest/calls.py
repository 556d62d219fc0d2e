"""A charger's call handled as the `ocpp` library handles it
(`ChargePoint._handle_call`: schema validation of the call and of our answer,
camelCase keys to snake_case arguments and back), without the work the library
repeats for every message although its result never changes: the handler's
signature (`inspect.signature`, to see whether it takes `call_unique_id`) and the
regular expressions that convert each key. Measured with bench/ocpp_load.py and
py-spy: at 1,500 chargers these were about a tenth of the event loop's time.

Both are remembered per handler function and per key; keys a charger invents
are remembered only while few and short, so a charger cannot grow the caches.
A route with an `@after` hook takes the library's own path."""

from __future__ import annotations

import inspect

from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict
from ocpp.charge_point import snake_to_camel_case as _library_camel
from ocpp.messages import validate_payload

_MAX_KEYS = 4096
_MAX_KEY_LENGTH = 64
_SNAKE: dict[str, str] = {}
_CAMEL: dict[str, str] = {}
_TAKES_CALL_ID: dict[object, bool] = {}


def _key(key, cache: dict[str, str], convert) -> str:
    converted = cache.get(key)
    if converted is None:
        (converted,) = convert({key: None})
        if len(cache) < _MAX_KEYS and len(key) <= _MAX_KEY_LENGTH:
            cache[key] = converted
    return converted


def snake_keys(data):
    """`ocpp.charge_point.camel_to_snake_case`, key conversions remembered."""
    if isinstance(data, dict):
        return {_key(k, _SNAKE, camel_to_snake_case): snake_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [snake_keys(v) for v in data]
    return data


def camel_keys(data):
    """`ocpp.charge_point.snake_to_camel_case`, key conversions remembered."""
    if isinstance(data, dict):
        return {_key(k, _CAMEL, _library_camel): camel_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camel_keys(v) for v in data]
    return data


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
        validate = not handlers.get("_skip_schema_validation", False)
        if validate:
            await validate_payload(msg, self._ocpp_version)
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
        if validate:
            await validate_payload(answer, self._ocpp_version)
        await self._send(answer.to_json())
        return response
