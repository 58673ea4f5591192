"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) of one curated feed."""

from __future__ import annotations

import json
from typing import Any

from aggregator.config.types import FeedConfig, Settings
from aggregator.models import StoredItem
from aggregator.publish.common import (
    SITE_AUTHOR,
    as_uri,
    clean,
    entry_id,
    feed_url,
    item_tags,
    rfc3339,
    site_url,
    title_of,
)
from aggregator.publish.publishers import Publisher, Publishers, publisher_of
from aggregator.themes import theme_label

VERSION = "https://jsonfeed.org/version/1.1"


def build_json_feed(
    feed: FeedConfig,
    items: list[StoredItem],
    settings: Settings,
    publishers: Publishers | None = None,
) -> bytes:
    document: dict[str, Any] = {
        "version": VERSION,
        "title": clean(feed.title) or feed.id,
        "home_page_url": site_url(settings) + "/",
        "feed_url": feed_url(settings, feed, ".json"),
        "description": clean(feed.description),
        "language": "en-GB",
        "authors": [{"name": SITE_AUTHOR, "url": site_url(settings) + "/"}],
    }
    if settings.websub_hub:
        document["hubs"] = [{"type": "WebSub", "url": settings.websub_hub}]
    document["items"] = [json_item(item, settings, publishers) for item in items]
    return dump_json(document)


def json_item(
    item: StoredItem, settings: Settings, publishers: Publishers | None = None
) -> dict[str, Any]:
    summary = clean(item.summary).strip()
    entry: dict[str, Any] = {"id": entry_id(item, settings)}
    if item.url:
        entry["url"] = as_uri(item.url)
    entry["title"] = title_of(item)
    if item.content_html and clean(item.content_html).strip():
        entry["content_html"] = clean(item.content_html)
    entry["content_text"] = summary or title_of(item)  # JSON Feed requires one of the two
    if summary:
        entry["summary"] = summary
    entry["date_published"] = rfc3339(item.published)
    entry["date_modified"] = rfc3339(item.updated)
    if authors := _authors(item, publisher_of(item, publishers)):
        entry["authors"] = authors
    entry["tags"] = item_tags(item) + [theme_label(theme) for theme in item.themes]
    entry["_aggregator"] = _extension(item)
    return entry


def _authors(item: StoredItem, publisher: Publisher | None) -> list[dict[str, str]]:
    """The item's own author, if it names one, then who published it."""
    authors = []
    if item.author and clean(item.author).strip():
        authors.append({"name": clean(item.author).strip()})
    if publisher is not None:
        authors.append({"name": publisher.name} | ({"url": publisher.url} if publisher.url else {}))
    return authors


def _extension(item: StoredItem) -> dict[str, Any]:
    """Our own `_aggregator` object: what the item is, and every place it was seen."""
    return {
        "category": item.category,
        "review_type": item.review_type,
        "review_types": list(item.review_types),
        "themes": list(item.themes),
        "event_date": item.event_date.isoformat() if item.event_date else None,
        "pinned": item.pinned,
        "sightings": [
            {
                "source": s.source_id,
                "url": as_uri(s.url) or None,
                "first_seen": rfc3339(s.first_seen),
            }
            for s in item.sightings
        ],
    }


def dump_json(document: Any) -> bytes:
    """Stable bytes: same document, same bytes (so unchanged feeds are not rewritten)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
