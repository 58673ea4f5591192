"""JSON Feed input: detected by media type or body; 1.0 and 1.1; bad JSON is a recorded error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult
from aggregator.parsers.feed import parse
from aggregator.parsers.jsonfeed import is_json_feed
from aggregator.store import Storage
from tests.support.e2e import SETTINGS, cli, db_url, stored_items
from tests.support.feedserver import FeedServer

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
SOURCE = SourceConfig("board", "Board", "feed", "https://board.example/feed.json")


def fetched(body: bytes, content_type: str | None) -> FetchResult:
    return FetchResult("board", "https://board.example/feed.json", 200, body, content_type)


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/feed+json", b"[]", True),
        ("application/json", b"{}", True),
        ("text/plain", b'\xef\xbb\xbf\n  {"version": "https://jsonfeed.org/version/1.1"}', True),
        ("application/rss+xml", b"<?xml version='1.0'?><rss/>", False),
        (None, b"<feed xmlns='http://www.w3.org/2005/Atom'/>", False),
    ],
)
def test_detected_by_media_type_or_body(
    content_type: str | None, body: bytes, expected: bool
) -> None:
    assert is_json_feed(fetched(body, content_type)) is expected


def test_an_item_with_nothing_to_show_is_skipped_with_a_warning() -> None:
    body = (FEEDS / "microblog_jsonfeed_1_0.json").read_bytes()
    parsed = parse(fetched(body, "application/json"), SOURCE)
    assert len(parsed.items) == 2
    assert parsed.warnings == ("item 3: no title, text or link, skipped",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON"),
        (b'{"title": "x", "items": []}', "not a JSON Feed 1.x"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "no items list"),
    ],
)
def test_a_body_that_is_not_a_json_feed_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(fetched(body, "application/feed+json"), SOURCE)


def test_a_json_feed_source_is_polled_and_bad_json_loses_nothing(tmp_path: Path) -> None:
    body = (FEEDS / "wordpress_jsonfeed.json").read_bytes()
    with FeedServer() as server:
        server.set("/feed/json/", body, "application/feed+json; charset=UTF-8")
        (tmp_path / "sources.toml").write_text(f"""{SETTINGS}
[[source]]
id = "eastborough"
name = "Eastborough (JSON Feed)"
url = "{server.url("/feed/json/")}"
""")
        assert cli(tmp_path, "poll") == 0
        titles = {item.title for item in stored_items(tmp_path)}
        assert titles == {
            "Safeguarding Adults Review – ‘Joan’ published",
            "Annual Report 2025–26",
            "7MB – CSPR Child L",
        }
        document = json.loads(body)
        document["items"][0]["title"] = "Changed"
        server.set("/feed/json/", json.dumps(document).encode()[:-40], "application/feed+json")
        cli(tmp_path, "poll")
    assert {item.title for item in stored_items(tmp_path)} == titles
    with Storage.open(db_url(tmp_path)) as storage:
        assert "invalid JSON" in (storage.source_state("eastborough").last_error or "")
