"""publish against the real store (SQLite): the Storage facade is an ItemReader, and a
store that has not changed publishes nothing new."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from aggregator.config.types import Config, Settings
from aggregator.models import AddSighting, Item, NewItem, UpdateSighting
from aggregator.publish import publish
from aggregator.store import Storage

T0 = datetime(2025, 1, 20, 9, 15, 42, 123456, tzinfo=UTC)  # microseconds: dropped when published
CONFIG = Config("sources.toml", Settings(site_url="https://feeds.example-partnership.org.uk"))


def sar(source: str, key: str, **fields: object) -> Item:
    url = f"https://{source}.example.org/reviews/{key}/"
    values: dict = {
        "title": "Safeguarding Adults Review: Adult C",
        "url": url,
        "canonical_url": url.rstrip("/"),
        "summary": "The Board publishes the SAR about Adult C & the learning for partners.",
        "content_html": "<p>The Board publishes the SAR about Adult C.</p>",
        "published": T0,
        "updated": T0,
        "category": "reviews",
        "review_type": "sar",
    }
    values.update(fields)
    values.setdefault("content_hash", f"{values['title']}|{values['summary']}")
    return Item(source_id=source, source_key=key, **values)


def keys(item: Item) -> tuple[str, ...]:
    return (f"src:{item.source_id}:{item.source_key}", f"url:{item.canonical_url}")


def test_publish_from_the_real_store(tmp_path: Path) -> None:
    storage = Storage.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    feeds = tmp_path / "feeds"
    first = sar("sab-board", "adult-c")
    (item_id,) = storage.apply([NewItem(first, keys(first))], now=T0)
    assert len(publish(storage, CONFIG, feeds, now=T0)) == 17  # 4 feeds × 3, 2 calendars, 3
    assert publish(storage, CONFIG, feeds, now=T0 + timedelta(hours=1)) == []

    national = sar("national-sar-library", "2025-adult-c", published=T0 + timedelta(days=1))
    storage.apply([AddSighting(item_id, national, keys(national), "near-dup", False)], now=T0)
    changed = {p.name for p in publish(storage, CONFIG, feeds, now=T0)}
    assert changed == {"all.json", "reviews.json"}  # only the JSON Feed lists sightings

    edited = replace(first, summary="Updated: action plan added.", updated=T0 + timedelta(days=2))
    edited = replace(edited, content_hash="edited")
    storage.apply([UpdateSighting(item_id, edited, keys(edited), True)], now=T0 + timedelta(days=2))
    changed = {p.name for p in publish(storage, CONFIG, feeds, now=T0)}
    assert {"reviews.atom", "reviews.rss", "latest.html"} <= changed
    entry = feedparser.parse(feeds / "reviews.atom").entries[0]
    assert entry.summary == "Updated: action plan added."
    assert entry.id == storage.item(item_id).public_id
