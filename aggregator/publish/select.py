"""Which stored items a curated feed publishes: pure filters, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from aggregator.config.types import FeedConfig
from aggregator.models import StoredItem


def select_items(items: Iterable[StoredItem], feed: FeedConfig, now: datetime) -> list[StoredItem]:
    """The items `feed` publishes: filtered, pinned first, then newest published, at most limit."""
    chosen = [item for item in items if matches(item, feed, now)]
    chosen.sort(key=publication_order)
    return chosen[: max(feed.limit, 0)]


def publication_order(item: StoredItem) -> tuple[bool, float, int]:
    """Sort key: pinned first, then newest published, then newest id (a stable tie-break)."""
    return (not item.pinned, -as_utc(item.published).timestamp(), -item.id)


def matches(item: StoredItem, feed: FeedConfig, now: datetime) -> bool:
    if item.hidden:
        return False
    if feed.categories and item.category not in feed.categories:
        return False
    if feed.review_types and set(feed.review_types).isdisjoint(item.review_types):
        return False
    if feed.themes and set(feed.themes).isdisjoint(item.themes):
        return False
    if feed.sources and not seen_in(item, feed.sources):
        return False
    if feed.max_age is not None and too_old(item, feed.max_age, now):
        return False
    return passes_patterns(item, feed.include, feed.exclude)


def seen_in(item: StoredItem, sources: Iterable[str]) -> bool:
    """True when any sighting (or the representative source) is one of `sources`."""
    wanted = set(sources)
    return item.source_id in wanted or any(s.source_id in wanted for s in item.sightings)


def too_old(item: StoredItem, max_age: float, now: datetime) -> bool:
    return as_utc(item.published) < as_utc(now) - timedelta(seconds=max_age)


def passes_patterns(item: StoredItem, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Any include pattern must match (when there are some); no exclude pattern may match."""
    text = f"{item.title}\n{item.summary}"
    if include and not any(_compiled(p).search(text) for p in include):
        return False
    return not any(_compiled(p).search(text) for p in exclude)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def has_calendar(feed: FeedConfig) -> bool:
    """Can the feed hold training items? Then it is published as a calendar too."""
    return not feed.categories or "training" in feed.categories
