"""How the workflows retry their activities: a failed attempt is tried again 1 s
later, then at doubling intervals up to 30 s apart, until it succeeds (a database
or provider that is down is waited for), except for the error types a retry
cannot fix, which end the activity at once."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

__all__ = ["activity_retry"]


def activity_retry(*non_retryable: str) -> RetryPolicy:
    """The common retry schedule; `non_retryable`: error type names a retry cannot fix."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
        non_retryable_error_types=list(non_retryable) or None,
    )
