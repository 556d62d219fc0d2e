"""The one translation from the domain's error vocabulary to Temporal.

A `DomainError` is a decision, not a glitch: retrying the activity would give the
same refusal, so it fails non-retryable, with the error's `code` as the failure
type (what a workflow, or a person reading the history, matches on)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.exceptions import ApplicationError

from domain.errors import DomainError

# Error types a retry cannot fix in a session's pricing arithmetic (impossible
# input): the session workflow's retry policy ends a step at once on them, and the
# settle step that splits a session itself (`SessionActivities.settle_session`)
# treats them as the split failing for good.
FAILS_FOR_GOOD = ("OverflowError", "ArithmeticError", "ValueError", "InvalidOperation")


def fails_for_good(error: BaseException) -> bool:
    """What a step's retry policy would not retry: a domain refusal, or one of
    `FAILS_FOR_GOOD` (matched by exact type name, as the retry policy matches)."""
    return isinstance(error, DomainError) or type(error).__name__ in FAILS_FOR_GOOD


def application_error(error: DomainError) -> ApplicationError:
    return ApplicationError(str(error), type=error.code, non_retryable=True)


@contextmanager
def domain_errors_fail_the_activity() -> Iterator[None]:
    """Wrap an activity's body: a DomainError inside becomes a non-retryable failure."""
    try:
        yield
    except DomainError as error:
        raise application_error(error) from error
