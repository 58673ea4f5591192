"""An item of several review types (a joint DHR/SAR) in the outputs and the review-type filter,
on the fixture items and from the real store on both backends."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from aggregator.config.types import DEFAULT_FEEDS, Config, FeedConfig, Settings
from aggregator.models import Item, NewItem, StoredItem
from aggregator.publish import build_atom, build_json_feed, build_rss, publish, select_items
from aggregator.store import Storage
from tests.fixtures.publish.support import NOW, load_items

SETTINGS = Settings(site_url="https://feeds.example-partnership.org.uk")
ALL = DEFAULT_FEEDS[0]
SARS = FeedConfig("sars", "Safeguarding Adults Reviews", review_types=("sar",))
JOINT = "Domestic Homicide Review: Adult B (published)"


def items() -> list[StoredItem]:
    """The fixture items, the DHR of Adult B being a joint DHR/SAR."""
    return [replace(i, joint_types=("sar",)) if i.title == JOINT else i for i in load_items()]


def test_every_review_type_is_a_tag_a_category_and_listed() -> None:
    chosen = select_items(items(), ALL, NOW)
    entry = next(e for e in json.loads(build_json_feed(ALL, chosen, SETTINGS))["items"]
                 if e["title"] == JOINT)  # fmt: skip
    assert entry["tags"] == ["reviews", "dhr", "sar", "Domestic abuse"]
    assert (entry["_aggregator"]["review_type"], entry["_aggregator"]["review_types"]) == (
        "dhr",
        ["dhr", "sar"],
    )
    for document in (build_atom(ALL, chosen, SETTINGS), build_rss(ALL, chosen, SETTINGS)):
        parsed = next(e for e in feedparser.parse(document).entries if e.title == JOINT)
        assert {"dhr", "sar"} <= {tag.term for tag in parsed.tags}


def test_a_review_type_feed_keeps_an_item_that_is_also_of_that_type() -> None:
    chosen = [item.title for item in select_items(items(), SARS, NOW)]
    assert JOINT in chosen and "Safeguarding Adult Review – Mrs A & Miss G" in chosen
    assert JOINT not in [i.title for i in select_items(load_items(), SARS, NOW)]


def _review(key: str, title: str, review_type: str, joint: tuple[str, ...]) -> Item:
    url = f"https://www.eastborough.gov.uk/csp/{key}/"
    moment = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
    return Item(
        source_id="eastborough-csp",
        source_key=key,
        title=title,
        url=url,
        canonical_url=url.rstrip("/"),
        summary="",
        content_html=None,
        published=moment,
        updated=moment,
        category="reviews",
        review_type=review_type,  # type: ignore[arg-type]
        content_hash=key,
        joint_types=joint,  # type: ignore[arg-type]
    )


def test_a_review_type_feed_from_the_store(storage: Storage, tmp_path: Path) -> None:
    config = Config("sources.toml", SETTINGS, feeds=(ALL, SARS))
    stored = [
        _review("o", "Joint DHR/SAR: Mr O", "dhr", ("sar",)),
        _review("b", "DHR Mrs B", "dhr", ()),
        _review("k", "SAR Mr K", "sar", ()),
    ]
    storage.apply([NewItem(i, (f"src:{i.source_id}:{i.source_key}",)) for i in stored], now=NOW)
    publish(storage, config, tmp_path, now=NOW)
    titles = {entry.title for entry in feedparser.parse(tmp_path / "sars.atom").entries}
    assert titles == {"Joint DHR/SAR: Mr O", "SAR Mr K"}
