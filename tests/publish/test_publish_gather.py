"""Publishing reads only the newest items, yet chooses exactly what it would from all of them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aggregator.config.types import FeedConfig, Settings
from aggregator.models import CATEGORIES, Item, NewItem, StoredItem
from aggregator.publish.block import COLUMNS
from aggregator.publish.gather import block_items, feed_items, pinned_items
from aggregator.publish.select import publication_order, select_items
from aggregator.store import Storage

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FEEDS = (
    FeedConfig("all", "All", limit=7),
    FeedConfig("news", "News", categories=("news",), limit=5),
    FeedConfig("dhr", "DHRs", categories=("reviews",), review_types=("dhr",), limit=3),
    FeedConfig("rare", "Rare word", include=(r"\bkestrel\b",), limit=4),  # forces paging
    FeedConfig("not-rare", "No kestrel", exclude=(r"kestrel",), limit=6),
    FeedConfig("recent", "Last 20 days", max_age=20 * 86400, limit=50),
    FeedConfig("from-b", "Seen in src-b", sources=("src-b",), limit=4),
    FeedConfig("exploitation", "A rare theme", themes=("exploitation",), limit=4),
    FeedConfig("none", "Empty", limit=0),
)


def stored_items(storage: Storage, count: int, rng: random.Random) -> None:
    decisions = []
    for number in range(count):
        category = CATEGORIES[rng.randrange(3)]
        published = NOW - timedelta(days=rng.randint(0, 60), minutes=number)
        title = f"Story {number}" + (" about a kestrel" if number % 9 == 0 else "")
        url = f"https://example.org/{number}"
        item = Item(
            source_id=rng.choice(("src-a", "src-b", "src-c")),
            source_key=url,
            title=title,
            url=url,
            canonical_url=url,
            summary=f"Summary {number}",
            content_html=None,
            published=published,
            updated=published,
            category=category,
            review_type=rng.choice(("dhr", "sar")) if category == "reviews" else None,
            content_hash=str(number),
            themes=("exploitation", "criminal-exploitation", "cuckooing")
            if number % 11 == 0
            else (),
        )
        decisions.append(NewItem(item, (f"src:{item.source_id}:{url}",)))
    storage.apply(decisions, now=NOW)
    ids = [item.id for item in storage.items()]
    for item_id in rng.sample(ids, 4):
        storage.set_item(item_id, pinned=True)
    for item_id in rng.sample(ids, 6):
        storage.set_item(item_id, hidden=True)
    storage.set_item(ids[5], category="training")


def everything(storage: Storage) -> list[StoredItem]:
    return sorted(storage.items(), key=publication_order)


@pytest.mark.parametrize("feed", FEEDS, ids=[feed.id for feed in FEEDS])
def test_a_feed_chooses_from_pages_what_it_would_from_every_item(
    storage: Storage, feed: FeedConfig
) -> None:
    stored_items(storage, 90, random.Random(feed.id))
    expected = select_items(everything(storage), feed, NOW)
    assert feed_items(storage, feed, pinned_items(storage), NOW) == expected
    if feed.limit:
        assert expected, "the fixture should give every non-empty feed something to publish"


def test_the_block_reads_the_pinned_and_the_newest_of_each_column(storage: Storage) -> None:
    stored_items(storage, 60, random.Random(3))
    settings = Settings(block_items=4)
    shown = block_items(storage, settings, pinned_items(storage))
    every = everything(storage)
    for _column, _heading, categories in COLUMNS:
        want = [i for i in every if i.category in categories][: settings.block_items]
        have = sorted((i for i in shown if i.category in categories), key=publication_order)
        assert have[: settings.block_items] == want


class CountingReader:
    def __init__(self, storage: Storage) -> None:
        self.storage, self.calls = storage, 0

    def items(self, **filters: Any) -> list[StoredItem]:
        self.calls += 1
        return self.storage.items(**filters)


def test_a_themes_feed_is_filtered_by_the_store_not_paged_through(storage: Storage) -> None:
    stored_items(storage, 90, random.Random(11))
    feed = next(feed for feed in FEEDS if feed.themes)
    reader = CountingReader(storage)
    chosen = feed_items(reader, feed, pinned_items(storage), NOW)
    assert chosen == select_items(everything(storage), feed, NOW) and len(chosen) == feed.limit
    assert reader.calls == 1
