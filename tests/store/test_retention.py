"""Retention: per-source age and count limits; pruned items are tombstones that stay gone."""

from __future__ import annotations

from datetime import timedelta

from aggregator.config.types import Config, Settings, SourceConfig
from aggregator.models import AddSighting, NewItem
from aggregator.poll.retention import limits
from aggregator.store import Storage
from aggregator.store.retention import Held, select_prunable
from tests.store.test_store import T0, keys_of, make_item

DAY = 24 * 3600.0


def held(n: int, days_old: int, *, exclusive: bool = True, pinned: bool = False) -> Held:
    return Held(n, T0 - timedelta(days=days_old), exclusive, pinned)


def test_count_limit_keeps_the_newest() -> None:
    items = [held(1, 3), held(2, 1), held(3, 2), held(4, 0)]
    assert select_prunable(items, max_age=None, max_items=2, now=T0) == [1, 3]


def test_age_limit_prunes_older_items() -> None:
    items = [held(1, 10), held(2, 1), held(3, 40)]
    assert select_prunable(items, max_age=7 * DAY, max_items=None, now=T0) == [1, 3]


def test_shared_and_pinned_items_are_never_pruned_but_still_count() -> None:
    items = [held(1, 0, exclusive=False), held(2, 1), held(3, 2, pinned=True), held(4, 3)]
    assert select_prunable(items, max_age=None, max_items=1, now=T0) == [2, 4]
    assert select_prunable(items, max_age=None, max_items=None, now=T0) == []


def test_source_limits_override_settings() -> None:
    config = Config("x", Settings(max_item_age=30 * DAY, max_items_per_source=100))
    own = SourceConfig("a", "A", "feed", "https://a.example.org/", max_items=5)
    assert limits(config, own) == (30 * DAY, 5)


def store(storage: Storage, source: str, key: str, days_old: int) -> int:
    item = make_item(source, key, published=T0 - timedelta(days=days_old))
    (item_id,) = storage.apply([NewItem(item, keys_of(item))], now=T0)
    return item_id


def test_prune_tombstones_only_exclusive_items_and_they_stay_gone(storage: Storage) -> None:
    old = store(storage, "board-a", "old", 50)
    shared = store(storage, "board-a", "shared-old", 60)
    fresh = store(storage, "board-a", "fresh", 1)
    other = make_item("gov-uk", "copy", url="https://gov.example.org/copy/")
    storage.apply([AddSighting(shared, other, keys_of(other), "canonical-url", False)], now=T0)
    assert storage.prune("board-a", max_age=30 * DAY, max_items=None, now=T0) == 1
    assert sorted(i.id for i in storage.items()) == sorted([shared, fresh])
    assert storage.audit(old)[-1][1:] == ("delete", make_item("board-a", "old").title, "retention")
    again = make_item("board-a", "old", published=T0 - timedelta(days=50), summary="changed")
    storage.apply([NewItem(again, keys_of(again))], now=T0)  # the feed still lists it
    assert old not in {i.id for i in storage.items()}
    assert storage.prune("board-a", max_age=30 * DAY, max_items=None, now=T0) == 0
