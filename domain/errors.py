"""One error vocabulary for the whole platform.

Every refusal a service gives is a `DomainError` of one of four kinds, each with a
machine-readable `code` (stable: API answers, activity failures and tests match
on it) and a sentence for a person:

* `NotFound`   — the thing asked for does not exist (HTTP 404)
* `Invalid`    — the input is wrong; the sentence says how to fix it (HTTP 422)
* `Conflict`   — the input clashes with what is already there (HTTP 409)
* `NotAllowed` — the caller may not do this (HTTP 403)

`DomainError` is a `ValueError` so code that caught the old `ValueError`s keeps
working. Older names (`TreeError`, `LedgerError`, `IdempotencyConflict`,
`UnknownSession`, ...) subclass the right kind and keep their names; the
onboarding refusals are defined here (re-exported by `ocpp_ingest.onboarding`)."""

from __future__ import annotations


class DomainError(ValueError):
    """A refusal with a sentence (`str(error)`) and a machine-readable `code`."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError):
    code = "not_found"


class Invalid(DomainError):
    code = "invalid"


class Conflict(DomainError):
    code = "conflict"


class NotAllowed(DomainError):
    code = "not_allowed"


# -- adding a charging point (ocpp_ingest.onboarding) ----------------------------


class OnboardingError(Invalid):
    """A charging point cannot be added this way; the message says why and what to do."""

    code = "onboarding.refused"


class ChargerNotConnected(OnboardingError, Conflict):
    """The charger is not online now: the world is not in the state a claim needs."""

    code = "onboarding.charger_not_connected"


class ChargingPointExists(OnboardingError, Conflict):
    code = "onboarding.charging_point_exists"


class ClaimNotProven(OnboardingError, NotAllowed):
    """The password given at claim time is not the connected device's."""

    code = "onboarding.claim_not_proven"


# HTTP status per kind, for the one API handler that will translate them. Invalid
# comes last: a TreeConflict is also a TreeError (Invalid) and must answer 409.
HTTP_STATUS = {NotFound: 404, Conflict: 409, NotAllowed: 403, Invalid: 422}


def http_status(error: DomainError) -> int:
    for kind, status in HTTP_STATUS.items():
        if isinstance(error, kind):
            return status
    return 400
