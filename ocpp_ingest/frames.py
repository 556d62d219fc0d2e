"""Checks on a charger's raw frame before the `ocpp` library sees it, so that
what the charger got wrong is answered as the charger's fault and nothing it
sends can crash the connection or grow the node's memory:

* binary frames (OCPP-J is text frames only), frames over `max_frame_bytes`;
* JSON the parser cannot take (nesting deeper than Python's recursion limit);
* a MessageTypeId that is not an integer (`2.0`), a MessageId that is not text;
* values no OCPP field can hold: payload nesting deeper than `MAX_DEPTH`,
  integers outside 32 bits (OCPP's `integer`), numbers that are not finite or
  beyond 10^15, text with a lone surrogate or a NUL.

Each returns an `OCPPError` (spelled for 1.6; `errors.for_version` respells it)
or None."""

from __future__ import annotations

import math
import re

from ocpp.exceptions import (
    FormationViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
)
from ocpp.messages import Call, CallError, CallResult

from ocpp_ingest.errors import excerpt

MAX_DEPTH = 32
INT32 = 2**31
MAX_NUMBER = 10**15  # far beyond any meter register in Wh or power in W
# The head of a frame: [type, "id" — enough to answer a frame we will not parse.
_HEAD = re.compile(r'\s*\[\s*(\d+)\s*,\s*"([^"\\]{0,64})"')


def head(raw: str | bytes) -> tuple[int | None, str]:
    """(MessageTypeId, MessageId) read from the start of a frame, else (None, "-1")."""
    if isinstance(raw, bytes):
        raw = raw[:128].decode("utf-8", "replace")
    match = _HEAD.match(raw[:128])
    if not match:
        return None, "-1"
    return int(match.group(1)), match.group(2)


def frame_problem(raw: str | bytes, max_frame_bytes: int) -> OCPPError | None:
    if isinstance(raw, bytes):
        return FormationViolationError(
            details={"cause": "binary websocket frames are not OCPP-J: send text frames"}
        )
    if len(raw) > max_frame_bytes:
        return FormationViolationError(
            details={
                "cause": f"frame of {len(raw)} characters is over the limit of "
                f"{max_frame_bytes}: {excerpt(raw, 64)}"
            }
        )
    return None


def envelope_problem(data: list) -> OCPPError | None:
    """The array's first two elements: an integer MessageTypeId, a text MessageId."""
    if not data:
        return None  # the library's own "does not contain MessageTypeId"
    if type(data[0]) is not int:
        return PropertyConstraintViolationError(
            details={"cause": f"MessageTypeId {excerpt(data[0], 32)} isn't valid: an integer"}
        )
    if len(data) >= 2 and not isinstance(data[1], str):
        return FormationViolationError(
            details={"cause": f"MessageId {excerpt(data[1], 32)} isn't valid: it must be text"}
        )
    if len(data) >= 2 and len(data[1]) > 36:
        return FormationViolationError(details={"cause": "MessageId longer than 36 characters"})
    return None


def unpack_parsed(data: list):
    """`ocpp.messages.unpack` of a frame's array already parsed (a frame is parsed
    once): the same message objects and the same errors."""
    if not data:
        raise ProtocolError(details={"cause": "Message does not contain MessageTypeId"})
    for cls in (Call, CallResult, CallError):
        if data[0] == cls.message_type_id:
            try:
                return cls(*data[1:])
            except TypeError:
                raise ProtocolError(details={"cause": "Message is missing elements."}) from None
    raise PropertyConstraintViolationError(
        details={"cause": f"MessageTypeId '{data[0]}' isn't valid"}
    )


def payload_problem(payload) -> OCPPError | None:
    """Walks the payload once, iteratively (no recursion a charger can exhaust)."""
    stack = [(payload, 0, None)]
    while stack:
        value, depth, key = stack.pop()
        if depth > MAX_DEPTH:
            return FormationViolationError(
                details={"cause": f"payload nested deeper than {MAX_DEPTH} levels"}
            )
        if isinstance(value, dict):
            for k, v in value.items():
                problem = _text_problem(k)
                if problem:
                    return problem
                stack.append((v, depth + 1, k))
        elif isinstance(value, list):
            stack.extend((v, depth + 1, key) for v in value)
        elif isinstance(value, str):
            problem = _text_problem(value, key)
            if problem:
                return problem
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            # OCPP's integer is 32 bits; a `number` (sampled values) may be larger.
            limit = MAX_NUMBER if key == "value" else INT32
            if not -limit <= value < limit:
                return PropertyConstraintViolationError(
                    details={"cause": f"{key} {excerpt(str(value), 32)} is out of range"}
                )
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                return PropertyConstraintViolationError(
                    details={"cause": f"{key} {excerpt(repr(value), 32)} is out of range"}
                )
    return None


def _text_problem(text: str, key: str | None = None) -> OCPPError | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return FormationViolationError(
            details={"cause": f"{key or 'a key'} is not valid Unicode (a lone surrogate)"}
        )
    if "\x00" in text:
        return PropertyConstraintViolationError(
            details={"cause": f"{key or 'a key'} contains a NUL character"}
        )
    return None
