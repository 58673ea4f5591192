"""JSON Feed 1.1 output, checked against the spec's required keys and types."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from aggregator.config.types import DEFAULT_FEEDS, Settings
from aggregator.publish import build_json_feed, select_items
from tests.fixtures.publish.support import NOW, by_id, load_items

SETTINGS = Settings(site_url="https://feeds.example-partnership.org.uk")
ALL = DEFAULT_FEEDS[0]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def document(settings: Settings = SETTINGS) -> dict[str, Any]:
    items = select_items(load_items(), ALL, NOW)
    return json.loads(build_json_feed(ALL, items, settings))


def check_json_feed(feed: dict[str, Any]) -> None:
    """The JSON Feed 1.1 rules: required keys, types, content_html or content_text."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    for key in ("home_page_url", "feed_url", "description"):
        assert isinstance(feed.get(key, ""), str)
    assert isinstance(feed["items"], list)
    for author in feed.get("authors", []):
        assert isinstance(author["name"], str)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html", ""), str)
        assert isinstance(item.get("content_text", ""), str)
        assert item.get("content_html") or item.get("content_text")
        for key in ("date_published", "date_modified"):
            assert key not in item or RFC3339.match(item[key])
        assert all(isinstance(tag, str) for tag in item.get("tags", []))
        for key in item:
            assert key in ITEM_KEYS or key.startswith("_"), key


ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments",
}  # fmt: skip


def test_document_follows_json_feed_1_1() -> None:
    feed = document()
    check_json_feed(feed)
    assert feed["feed_url"] == "https://feeds.example-partnership.org.uk/all.json"
    assert feed["home_page_url"] == "https://feeds.example-partnership.org.uk/"
    assert "hubs" not in feed
    assert len(feed["items"]) == 9


def test_item_fields() -> None:
    item = next(i for i in document()["items"] if i["id"].endswith("9a01"))
    cspr = by_id(load_items(), 101)
    assert item["url"] == cspr.url
    assert item["title"] == cspr.title
    assert item["content_html"] == cspr.content_html
    assert item["summary"] == cspr.summary
    assert item["date_published"] == "2025-01-24T09:30:00Z"
    assert item["authors"] == [{"name": "Child Safeguarding Practice Review Panel"}]
    assert item["tags"] == ["reviews", "cspr"]
    assert item["_aggregator"]["category"] == "reviews"
    assert item["_aggregator"]["review_type"] == "cspr"
    assert item["_aggregator"]["sightings"] == [
        {
            "source": "govuk-cspr",
            "url": cspr.sightings[0].url,
            "first_seen": "2025-01-24T10:00:12Z",
        },
        {
            "source": "nspcc-repository",
            "url": cspr.sightings[1].url,
            "first_seen": "2025-01-26T08:15:00Z",
        },
    ]


def test_item_without_link_summary_or_content_still_has_content_text() -> None:
    item = next(i for i in document()["items"] if i["_aggregator"]["review_type"] == "learning")
    assert "url" not in item
    assert item["content_text"] == "Learning from reviews: briefing note (no link)"
    assert "content_html" not in item
    assert item["_aggregator"]["sightings"][0]["url"] is None


def test_news_item_has_null_review_type_and_its_category_and_theme_as_tags() -> None:
    item = next(i for i in document()["items"] if i["title"].startswith("New multi-agency"))
    assert item["tags"] == ["news", "Neglect"]
    assert item["_aggregator"]["review_type"] is None


def test_hubs_when_websub_is_configured() -> None:
    feed = document(replace(SETTINGS, websub_hub="https://websub.example.net/"))
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://websub.example.net/"}]
    check_json_feed(feed)


def test_tricky_text_is_kept_but_control_characters_dropped() -> None:
    data = build_json_feed(ALL, [by_id(load_items(), 108)], SETTINGS)
    assert b"\\u0001" not in data and b"\\u000b" not in data
    item = json.loads(data)["items"][0]
    assert item["title"] == "Fish &amp; Chips ]]> <b>quiz</b> night for the שלום team 😀"
    assert "<script>alert(1)</script>" in item["content_text"]  # plain text, by definition
