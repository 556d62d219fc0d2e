"""Which charger timestamps can be believed.

A charger's clock is its own: a queued message keeps the time it happened (late is
fine), but a start dated year 0001 or 1970, or a status dated 2099, would price a
session over decades or freeze a connector's status behind a date no later report
can pass. Such a timestamp is replaced by the time the server received the
message, and the replacement is flagged (an anomaly row; a session flag for
finance), never silently kept."""

from __future__ import annotations

from datetime import datetime, timedelta

# A charger's clock may run a little ahead of ours; more than this is wrong.
MAX_AHEAD = timedelta(hours=1)
# Offline queues hold days or weeks; a charger that replays years-old messages
# has a clock that was never set (1970) or a corrupt one (year 0001).
MAX_AGE = timedelta(days=5 * 365)


# Nothing the charger reports can have happened before it first connected to
# us, give or take a clock that was set at installation.
BEFORE_FIRST_CONNECT = timedelta(days=1)


def implausible(
    reported: datetime,
    *,
    received: datetime,
    first_connected: datetime | None = None,
    past: bool = True,
) -> str | None:
    """Why `reported` cannot be right, or None when it can. `past=False` for
    reports where an old date does no harm (a status older than the one held is
    history only) and only a future one must be caught."""
    if reported > received + MAX_AHEAD:
        return "in the future"
    if not past:
        return None
    if reported < received - MAX_AGE:
        return "years before it was received"
    if first_connected is not None and reported < first_connected - BEFORE_FIRST_CONNECT:
        return "before the charger was first connected"
    return None
