"""The rules for an OCPP charger identity (the `<ocpp_id>` of `/ocpp/<ocpp_id>` and
the HTTP Basic username), checked the same way wherever an id enters the platform:
the websocket upgrade, adding a pre-approved charging point, claiming one.

An id is 1–48 characters of printable ASCII without whitespace, ':' (it is the
Basic auth username, where ':' ends the name) or '/' (it is a URL path segment).
Ids are compared without regard to case: `CP-01` and `cp-01` are the same
charger, so a look-alike can never be registered or admitted as a second one.
Pure functions: no I/O."""

from __future__ import annotations

MAX_LENGTH = 48
_FORBIDDEN = {":": "':'", "/": "'/'"}


class InvalidOcppId(ValueError):
    """The id breaks the identity rules; the message says which one."""


def ocpp_id_problem(ocpp_id: object) -> str | None:
    """Why `ocpp_id` is not a valid charger identity, or None when it is."""
    if not isinstance(ocpp_id, str):
        return "an OCPP id must be text"
    if not ocpp_id:
        return "an OCPP id must not be empty"
    if len(ocpp_id) > MAX_LENGTH:
        return f"an OCPP id has at most {MAX_LENGTH} characters (this one has {len(ocpp_id)})"
    for ch in ocpp_id:
        if ch in _FORBIDDEN:
            return f"an OCPP id must not contain {_FORBIDDEN[ch]}"
        if not "\x21" <= ch <= "\x7e":
            what = "whitespace" if ch.isspace() else f"the character U+{ord(ch):04X}"
            return f"an OCPP id is printable ASCII without whitespace, not {what}"
    return None


def validate_ocpp_id(ocpp_id: object) -> str:
    """`ocpp_id` itself when valid, else `InvalidOcppId` saying why."""
    problem = ocpp_id_problem(ocpp_id)
    if problem is not None:
        raise InvalidOcppId(problem)
    return ocpp_id  # type: ignore[return-value]


def ocpp_id_key(ocpp_id: str) -> str:
    """What uniqueness is checked on: ids equal but for case are one charger."""
    return ocpp_id.lower()
