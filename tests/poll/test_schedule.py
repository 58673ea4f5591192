"""Pure schedule decisions: backoff, Retry-After and cache hints within floor and ceiling."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import SourceState
from aggregator.poll.schedule import (
    BACKOFF_CAP,
    JITTER,
    MAX_CACHE_HINT,
    MIN_INTERVAL,
    after_failure,
    after_success,
    failure_delay,
    is_due,
    jittered,
    success_delay,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOUR = 3600.0


def test_backoff_doubles_per_failure_up_to_the_cap() -> None:
    delays = [failure_delay(HOUR, errors, None) for errors in range(1, 12)]
    assert delays[:4] == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR]
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert delays[-1] == BACKOFF_CAP  # retries continue at the cap, never stop


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (7200.0, 7200.0),  # longer than the backoff: honoured
        (5.0, HOUR),  # shorter than the backoff: the backoff wins
        (10 * 24 * HOUR, BACKOFF_CAP),  # beyond the ceiling: capped
    ],
)
def test_retry_after_within_floor_and_ceiling(retry_after: float, expected: float) -> None:
    assert failure_delay(HOUR, 1, retry_after) == expected


def test_retry_after_never_below_the_floor() -> None:
    assert failure_delay(10.0, 1, 1.0) == MIN_INTERVAL
    assert failure_delay(10.0, 1, None) == 10.0  # no hint: the configured interval stands


@pytest.mark.parametrize(
    ("hint", "expected"),
    [(None, HOUR), (60.0, HOUR), (6 * HOUR, 6 * HOUR), (30 * 24 * HOUR, MAX_CACHE_HINT)],
)
def test_cache_hints_stretch_but_never_shorten(hint: float | None, expected: float) -> None:
    assert success_delay(HOUR, hint) == expected


def test_jitter_stays_within_its_band() -> None:
    rng = random.Random(7)
    values = [jittered(HOUR, rng) for _ in range(200)]
    assert all(HOUR * (1 - JITTER) <= v <= HOUR * (1 + JITTER) for v in values)
    assert len(set(values)) > 100


def test_failures_back_off_and_one_success_recovers() -> None:
    state = SourceState("s", url="https://x.org/f")
    for expected_errors in (1, 2, 3):
        state = after_failure(state, now=NOW, interval=HOUR, error="HTTP 500")
        assert state.error_count == expected_errors
    assert state.status == "backoff" and state.last_error == "HTTP 500"
    assert state.next_poll_at is not None
    assert state.next_poll_at >= NOW + timedelta(seconds=4 * HOUR * (1 - JITTER))
    state = after_success(state, now=NOW, interval=HOUR, url="https://x.org/f")
    assert (state.status, state.error_count, state.last_error) == ("ok", 0, None)
    assert state.next_poll_at is not None
    assert state.next_poll_at <= NOW + timedelta(seconds=HOUR * (1 + JITTER))


def test_gone_is_never_due_again() -> None:
    state = after_failure(SourceState("s"), now=NOW, interval=HOUR, error="gone", gone=True)
    assert state.status == "gone" and state.next_poll_at is None
    assert not is_due(state, NOW + timedelta(days=365))


def test_a_move_is_kept_until_the_configured_url_changes() -> None:
    moved = after_success(
        SourceState("s"), now=NOW, interval=HOUR, url="https://old/f", moved_to="https://new/f"
    )
    assert moved.status == "moved" and moved.moved_to == "https://new/f"
    again = after_success(moved, now=NOW, interval=HOUR, url="https://old/f")
    assert again.moved_to == "https://new/f"
    edited = after_success(again, now=NOW, interval=HOUR, url="https://elsewhere/f")
    assert edited.moved_to is None and edited.status == "ok"
