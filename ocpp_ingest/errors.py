"""CallError codes as OCPP-J 1.6 and 2.0.1 define them, on top of `ocpp.exceptions`.

| input                                  | OCPP 1.6                    | OCPP 2.0.1              |
|----------------------------------------|-----------------------------|-------------------------|
| frame is not JSON                      | FormationViolation, id "-1" | RpcFrameworkError, "-1" |
| JSON but not an OCPP array / too short | ProtocolError               | RpcFrameworkError       |
| unknown MessageTypeId                  | PropertyConstraintViolation | MessageTypeNotSupported |
| unknown action                         | NotImplemented              | NotImplemented          |
| action of the protocol we don't handle | NotSupported                | NotSupported            |
| schema: missing required field         | ProtocolError               | ProtocolError           |
| schema: wrong type / too long          | TypeConstraintViolation     | TypeConstraintViolation |
| schema: extra field / bad enum / other | FormationViolation          | FormatViolation         |
| bad value our handler cannot use       | PropertyConstraintViolation | (same)                  |
| our failure (database, workflow down)  | InternalError               | InternalError           |

Schema violations keep the `ocpp` library's classification; 1.6 frames use 1.6's
own spelling `FormationViolation` (OCPP-J 1.6 §4.2.3; the errata keeps it). The
library's NotImplemented/NotSupported choice is the wrong way round versus the
spec text ("NotImplemented: Requested Action is not known by receiver"), so the
ingest decides those itself. The MessageId of the frame is echoed when it can be
read, else "-1". Responses (CALLRESULT/CALLERROR) are never answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    NotSupportedError,
    OCPPError,
    PropertyConstraintViolationError,
)
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.messages import CallError


class RpcFrameworkError(OCPPError):
    code = "RpcFrameworkError"
    default_description = "Content of the call is not a valid RPC Request"


class MessageTypeNotSupportedError(OCPPError):
    code = "MessageTypeNotSupported"
    default_description = (
        "A message with a Message Type Number received that is not supported by this implementation"
    )


def excerpt(value, limit: int = 200) -> str:
    """At most `limit` characters of `value` for a log line or a CallError: a
    charger's megabyte frame is never logged or echoed whole. A lone surrogate
    (JSON's "\\udc00" decodes to one) is written as its escape: it has no UTF-8
    form, and a log line or frame carrying it could not be written at all."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text)} characters)"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _cause(error: OCPPError) -> dict:
    """The first line of the cause (jsonschema appends the whole schema), bounded."""
    cause = (error.details or {}).get("cause")
    return {"cause": excerpt(str(cause).split("\n", 1)[0], 255)} if cause else {}


def for_version(error: OCPPError, version: str) -> OCPPError:
    """The same error, spelled as the charger's protocol version spells it, with
    details reduced to the cause (never echo the charger's payload back)."""
    if version == "1.6" and isinstance(error, FormatViolationError):
        return FormationViolationError(description=error.description, details=_cause(error))
    if version != "1.6" and isinstance(error, FormationViolationError):
        return FormatViolationError(description=error.description, details=_cause(error))
    return type(error)(description=error.description, details=_cause(error))


def unknown_action(action, version: str, known_actions: set[str]) -> OCPPError:
    if isinstance(action, str) and action in known_actions:
        return NotSupportedError(
            description="Requested Action is recognized but not supported by the receiver",
            details={"cause": f"{action} is not handled by this CSMS"},
        )
    return OcppNotImplemented(
        description="Requested Action is not known by receiver",
        details={"cause": f"{action} is not an OCPP {version} action"},
    )


def frame_error(raw: str | bytes, error: OCPPError, version: str) -> CallError | None:
    """The CALLERROR answering a frame `ocpp.messages.unpack` refused, or None
    when the frame was a (broken) response, which must not be answered."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, list) and data and data[0] in (3, 4):
        return None
    unique_id = "-1"
    if isinstance(data, list) and len(data) >= 2 and isinstance(data[1], str):
        unique_id = data[1]
    return framing_error(unique_id, error, version)


def framing_error(unique_id: str, error: OCPPError, version: str) -> CallError:
    """The CALLERROR for a frame that is not a usable OCPP-J message: 1.6 keeps the
    error's own code; 2.0.1 says RpcFrameworkError, or MessageTypeNotSupported
    for a MessageTypeId it does not know."""
    cause = _cause(error)
    if version == "1.6":
        err = for_version(error, version)
        return CallError(unique_id, err.code, err.description, err.details)
    if isinstance(error, PropertyConstraintViolationError):
        err = MessageTypeNotSupportedError(details=cause)
    else:
        err = RpcFrameworkError(details=cause)
    return CallError(unique_id, err.code, err.description, err.details)


def parse_timestamp(value: str | None, *, default: datetime | None = None) -> datetime:
    """An OCPP timestamp as an aware UTC datetime (a missing offset means UTC).
    A value that is not a date-time is the charger's error, not ours."""
    if value is None:
        if default is None:
            raise PropertyConstraintViolationError(details={"cause": "timestamp missing"})
        return default
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError):
        raise PropertyConstraintViolationError(
            details={"cause": f"{excerpt(repr(value), 64)} is not an ISO 8601 date-time"}
        ) from None
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is after year 9999 in UTC
        raise PropertyConstraintViolationError(
            details={"cause": f"{excerpt(repr(value), 64)} is out of the representable range"}
        ) from None


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()
