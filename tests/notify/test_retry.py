"""Failed deliveries: capped exponential backoff, then giving up."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from aggregator.notify.retry import MAX_ATTEMPTS, MAX_DELAY, retry_at

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def delays() -> list[float]:
    found = []
    for attempts in range(MAX_ATTEMPTS):
        when = retry_at(attempts, NOW)
        if when is None:
            break
        found.append((when - NOW).total_seconds())
    return found


def test_delays_double_up_to_the_cap_then_stop() -> None:
    found = delays()
    assert len(found) == MAX_ATTEMPTS - 1
    assert all(later == min(2 * earlier, MAX_DELAY) for earlier, later in pairwise(found))
    assert retry_at(MAX_ATTEMPTS - 1, NOW) is None


def test_a_permanent_failure_is_not_retried() -> None:
    assert retry_at(0, NOW, permanent=True) is None
