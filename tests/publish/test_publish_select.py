"""select_items: which stored items a curated feed publishes, in which order."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from aggregator.config.types import FeedConfig
from aggregator.publish import select_items
from tests.fixtures.publish.support import NOW, by_id, load_items

ITEMS = load_items()


def ids(feed: FeedConfig, items: list | None = None) -> list[int]:
    return [item.id for item in select_items(ITEMS if items is None else items, feed, NOW)]


def test_everything_pinned_first_then_newest_published() -> None:
    assert ids(FeedConfig("all", "All")) == [105, 101, 104, 108, 102, 109, 106, 107, 103]


def test_order_does_not_depend_on_input_order() -> None:
    assert ids(FeedConfig("all", "All"), list(reversed(ITEMS))) == ids(FeedConfig("all", "All"))


def test_equal_dates_newest_id_first() -> None:
    same = [replace(item, published=ITEMS[0].published, pinned=False) for item in ITEMS[:3]]
    assert ids(FeedConfig("all", "All"), same) == [103, 102, 101]


def test_categories() -> None:
    assert ids(FeedConfig("t", "T", categories=("training",))) == [106, 107]
    assert ids(FeedConfig("n", "N", categories=("news", "training"))) == [105, 104, 108, 106, 107]


def test_review_types() -> None:
    feed = FeedConfig("r", "R", categories=("reviews",), review_types=("dhr", "sar"))
    assert ids(feed) == [102, 103]


def test_sources_match_any_sighting_not_only_the_representative() -> None:
    assert ids(FeedConfig("s", "S", sources=("nspcc-repository",))) == [101]
    assert ids(FeedConfig("s", "S", sources=("examplecity-csp",))) == [103]


def test_include_any_pattern_case_insensitive_over_title_and_summary() -> None:
    feed = FeedConfig("i", "I", include=(r"\bneglect\b", "STRIP SEARCH"))
    assert ids(feed) == [101, 104]


def test_exclude_wins_over_include() -> None:
    feed = FeedConfig("x", "X", categories=("reviews",), include=("review",), exclude=(r"child q",))
    assert ids(feed) == [102, 109, 103]


def test_max_age_by_published() -> None:
    feed = FeedConfig("recent", "Recent", max_age=timedelta(days=5).total_seconds())
    assert ids(feed) == [101, 104, 108]


def test_limit_keeps_pinned() -> None:
    assert ids(FeedConfig("all", "All", limit=2)) == [105, 101]
    assert ids(FeedConfig("all", "All", limit=0)) == []


def test_hidden_items_are_never_published() -> None:
    hidden = [replace(by_id(ITEMS, 104), hidden=True), by_id(ITEMS, 105)]
    assert ids(FeedConfig("all", "All"), hidden) == [105]
