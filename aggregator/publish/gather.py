"""What publishing reads: the newest items each output can show, never the whole store.

Every output shows pinned items first, then the newest. The pinned ones are read once; then,
per feed, pages of the newest unpinned items that pass the store-side filters, growing until
the feed's own filters (patterns, sources) have kept enough or the store has no more. The
result is what select_items would choose from every stored item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from aggregator.config.types import FeedConfig, Settings
from aggregator.models import StoredItem
from aggregator.publish.block import COLUMNS
from aggregator.publish.protocols import ItemReader
from aggregator.publish.select import select_items

PAGE_GROWTH = 4
EVENT_WINDOW, EVENT_WINDOW_MIN = 10, 50  # training announcements read for the block


def pinned_items(reader: ItemReader) -> list[StoredItem]:
    return reader.items(pinned=True)


def feed_items(
    reader: ItemReader, feed: FeedConfig, pinned: list[StoredItem], now: datetime
) -> list[StoredItem]:
    """select_items(every stored item, feed, now), reading only as much as it needs."""
    since = now - timedelta(seconds=feed.max_age) if feed.max_age is not None else None
    wanted = max(feed.limit, 0)
    page = max(wanted, 1)
    while True:
        newest = reader.items(
            categories=tuple(feed.categories),
            review_types=tuple(feed.review_types),
            themes=tuple(feed.themes),
            since=since,
            pinned=False,
            limit=page,
        )
        chosen = select_items(unique(pinned, newest), feed, now)
        if len(chosen) >= wanted or len(newest) < page:
            return chosen
        page *= PAGE_GROWTH


def block_items(
    reader: ItemReader, settings: Settings, pinned: list[StoredItem]
) -> list[StoredItem]:
    """Enough items for block_columns: per column, the pinned and the newest unpinned (for
    training, a wider window: an event announced a while ago may still be upcoming)."""
    shown = max(settings.block_items, 0)
    newest = [
        reader.items(
            categories=categories,
            pinned=False,
            limit=max(shown * EVENT_WINDOW, EVENT_WINDOW_MIN) if column == "training" else shown,
        )
        for column, _heading, categories in COLUMNS
    ]
    return unique(pinned, *newest)


def unique(*groups: Iterable[StoredItem]) -> list[StoredItem]:
    seen: dict[int, StoredItem] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item.id, item)
    return list(seen.values())
