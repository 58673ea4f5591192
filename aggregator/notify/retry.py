"""When a failed delivery is tried again (pure): capped exponential backoff, then give up."""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_DELAY = 30.0  # seconds
MAX_DELAY = 3600.0
MAX_ATTEMPTS = 8  # 30 s, 1 m, 2 m, 4 m, 8 m, 16 m, 32 m: about an hour of trying


def retry_at(attempts_before: int, now: datetime, *, permanent: bool = False) -> datetime | None:
    """The time of the next attempt after a failure, or None to give up. `attempts_before`
    counts the attempts made before this failed one."""
    made = attempts_before + 1
    if permanent or made >= MAX_ATTEMPTS:
        return None
    delay = min(FIRST_DELAY * 2 ** (made - 1), MAX_DELAY)
    return now + timedelta(seconds=delay)
