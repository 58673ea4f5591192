"""Pure polling-schedule decisions: when a source is next due, and what its status becomes."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from aggregator.models import SourceState

BACKOFF_CAP = 24 * 3600.0  # failing sources are still retried, at least once a day
MIN_INTERVAL = 60.0  # never poll faster than this because a server said so
MAX_CACHE_HINT = 7 * 24 * 3600.0  # Cache-Control/Expires beyond a week are ignored
JITTER = 0.1  # +-10% so sources with one interval do not all fire together


def jittered(seconds: float, rng: random.Random | None = None) -> float:
    spread = seconds * JITTER
    return seconds + (rng or random).uniform(-spread, spread)


def success_delay(interval: float, server_hint: float | None) -> float:
    """The interval, stretched (never shortened) by a server's max-age/Expires within a ceiling."""
    if server_hint is None:
        return interval
    return max(interval, min(server_hint, MAX_CACHE_HINT))


def failure_delay(interval: float, error_count: int, retry_after: float | None) -> float:
    """Capped exponential backoff; Retry-After wins when it asks for longer, within the cap."""
    backoff: float = min(interval * 2.0 ** max(error_count - 1, 0), BACKOFF_CAP)
    if retry_after is not None:
        backoff = max(backoff, min(max(retry_after, MIN_INTERVAL), BACKOFF_CAP))
    return max(backoff, min(interval, MIN_INTERVAL))


def after_success(
    state: SourceState,
    *,
    now: datetime,
    interval: float,
    server_hint: float | None = None,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    body_hash: str | None = None,
    moved_to: str | None = None,
    items_found: int | None = None,
) -> SourceState:
    delay = jittered(success_delay(interval, server_hint))
    same_url = url is None or url == state.url  # a new configured URL forgets an old move
    return replace(
        state,
        url=url or state.url,
        etag=etag if etag is not None else state.etag,
        last_modified=last_modified if last_modified is not None else state.last_modified,
        body_hash=body_hash if body_hash is not None else state.body_hash,
        status="moved" if moved_to else "ok",
        moved_to=moved_to or (state.moved_to if same_url else None),
        last_polled_at=now,
        last_success_at=now,
        last_error=None,
        error_count=0,
        next_poll_at=now + timedelta(seconds=delay),
        items_found=items_found if items_found is not None else state.items_found,
    )


def after_failure(
    state: SourceState,
    *,
    now: datetime,
    interval: float,
    error: str,
    retry_after: float | None = None,
    gone: bool = False,
) -> SourceState:
    errors = state.error_count + 1
    delay = jittered(failure_delay(interval, errors, retry_after))
    return replace(
        state,
        status="gone" if gone else ("backoff" if errors > 1 else "error"),
        last_polled_at=now,
        last_error=error,
        error_count=errors,
        next_poll_at=None if gone else now + timedelta(seconds=delay),
    )


def is_due(state: SourceState, now: datetime) -> bool:
    if state.status in ("gone", "disabled"):
        return False
    return state.next_poll_at is None or state.next_poll_at <= now
