"""Which period a digest covers and when an address is retried or dropped (pure).

Periods end at midnight UTC (daily) and at midnight UTC on Mondays (weekly); a digest covers the
items first stored between the end of the subscriber's last period and the end of the latest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREQUENCIES = ("daily", "weekly")
DROP_AFTER = 3  # hard failures (a 5xx refusal) in a row
RETRY_FIRST = 3600.0  # seconds
RETRY_MAX = 86400.0


def period_end(frequency: str, now: datetime) -> datetime:
    """The end of the latest whole period of `frequency` at `now`."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == "daily":
        return midnight
    if frequency == "weekly":
        return midnight - timedelta(days=midnight.weekday())
    raise ValueError(f"unknown frequency: {frequency}")


def period_ends(now: datetime) -> dict[str, datetime]:
    return {frequency: period_end(frequency, now) for frequency in FREQUENCIES}


def retry_after_failure(failures_before: int, now: datetime, *, hard: bool) -> datetime | None:
    """When to try a failed digest again; None drops the address (after `DROP_AFTER` hard
    failures in a row). A soft failure (server away, 4xx) never drops it."""
    failures = failures_before + 1
    if hard and failures >= DROP_AFTER:
        return None
    return now + timedelta(seconds=min(RETRY_FIRST * 2 ** (failures - 1), RETRY_MAX))
