"""The clock: every "now" the service uses comes from here, aware and in UTC; and the one local
time the partnership's dates are in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Europe/London")  # the partnership's dates are UK dates


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    """The London day of an aware moment; a naive one is taken to be UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TIME).date()
