"""The one translation from the domain's error vocabulary to Temporal.

A `DomainError` is a decision, not a glitch: retrying the activity would give the
same refusal, so it fails non-retryable, with the error's `code` as the failure
type (what a workflow, or a person reading the history, matches on)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.exceptions import ApplicationError

from domain.errors import DomainError


def application_error(error: DomainError) -> ApplicationError:
    return ApplicationError(str(error), type=error.code, non_retryable=True)


@contextmanager
def domain_errors_fail_the_activity() -> Iterator[None]:
    """Wrap an activity's body: a DomainError inside becomes a non-retryable failure."""
    try:
        yield
    except DomainError as error:
        raise application_error(error) from error
