"""The feed parser on real-world shapes: each fixture's `.expected.json` says what it parses to."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.fetch.client import split_content_type
from aggregator.models import FetchResult, ParsedItem
from aggregator.normalise.item import source_keys
from aggregator.parsers import parser_for
from aggregator.parsers.feed import parse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
EXPECTATIONS = sorted(FIXTURES.glob("*.expected.json"))
SOURCE = SourceConfig(id="test", name="Test", type="feed", url="https://example.org/feed")


def document_for(expectation: Path) -> Path:
    stem = expectation.name.removesuffix(".expected.json")
    (document,) = [p for p in FIXTURES.glob(stem + ".*") if not p.name.endswith(".expected.json")]
    return document


def fetched(body: bytes, content_type: str | None, url: str) -> FetchResult:
    media, charset = split_content_type(content_type)
    return FetchResult("test", url, 200, body, content_type=media, charset=charset)


def as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def check_entry(item: ParsedItem, expected: dict[str, Any]) -> None:
    for field, want in expected.items():
        if field.endswith("_contains"):
            got = getattr(item, field.removesuffix("_contains")) or ""
            assert want in got, f"{field}: {want!r} not in {got!r}"
        else:
            assert as_json(getattr(item, field)) == want, field


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda p: p.name.split(".")[0])
def test_fixture_parses_as_expected(expectation: Path) -> None:
    spec = json.loads(expectation.read_text(encoding="utf-8"))
    result = fetched(document_for(expectation).read_bytes(), spec["content_type"], spec["url"])
    if "error" in spec:
        with pytest.raises(ParseError, match=spec["error"]):
            parse(result, SOURCE)
        return
    parsed = parse(result, SOURCE)
    assert len(parsed.items) == spec["count"]
    if "feed_title" in spec:
        assert parsed.title == spec["feed_title"]
    if "distinct_source_keys" in spec:
        assert len(set(source_keys(parsed.items, SOURCE))) == spec["distinct_source_keys"]
    for index, expected in spec.get("entries", {}).items():
        check_entry(parsed.items[int(index)], expected)


def test_every_fixture_has_an_expectation() -> None:
    documents = {p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json")}
    assert documents == {document_for(e) for e in EXPECTATIONS}


def test_registered_as_the_feed_parser() -> None:
    assert parser_for("feed") is parse


def test_all_dates_are_aware_utc() -> None:
    body = (FIXTURES / "govuk_finder.atom").read_bytes()
    items = parse(fetched(body, "application/atom+xml", "https://www.gov.uk/x.atom"), SOURCE).items
    assert all(i.updated is not None and i.updated.utcoffset() == timedelta(0) for i in items)


@pytest.mark.parametrize(
    "content_type", ["application/rss+xml; charset=utf-8", "text/xml", "application/xml", None]
)
def test_windows_1252_without_declaration_is_not_mojibake(content_type: str | None) -> None:
    body = (FIXTURES / "windows1252_served_as_utf8.xml").read_bytes()
    body = body.replace(b' encoding="windows-1252"', b"")
    (item,) = parse(fetched(body, content_type, "https://x.org/f"), SOURCE).items
    assert item.title == "Domestic Homicide Review – “Jane”: the family’s statement"


@pytest.mark.parametrize("content_type", ["text/xml", "text/html", None])
def test_utf8_without_charset_is_read_as_utf8(content_type: str | None) -> None:
    body = (FIXTURES / "utf8_no_charset.xml").read_bytes()
    (item,) = parse(fetched(body, content_type, "https://x.org/f"), SOURCE).items
    assert item.title == "Working Together 2023 – what’s changed"
    assert item.summary_html == "A briefing for practitioners — résumé of the changes."


def test_wordpress_keeps_excerpt_and_full_content_apart() -> None:
    body = (FIXTURES / "wordpress_rss2.xml").read_bytes()
    item = parse(fetched(body, "application/rss+xml", "https://x.org/feed/"), SOURCE).items[0]
    assert item.summary_html is not None and "appeared first on" in item.summary_html
    assert item.content_html is not None and "<figure" in item.content_html
    assert item.summary_html != item.content_html


def test_relative_content_is_left_for_normalise_to_resolve() -> None:
    body = (FIXTURES / "atom_relative.atom").read_bytes()
    item = parse(fetched(body, "application/atom+xml", "https://x.org/a"), SOURCE).items[0]
    assert item.content_html is not None and 'href="sar-mr-b-7mb.pdf"' in item.content_html


def generated_feed(count: int) -> bytes:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    entries = "".join(
        f"<item><title>Item {n} &amp; more</title>"
        f"<link>https://big.example.org/items/{n}</link>"
        f"<guid isPermaLink='false'>big-{n}</guid>"
        f"<pubDate>{(start + timedelta(hours=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>&lt;p&gt;Summary {n}&lt;/p&gt;</description></item>"
        for n in range(count)
    )
    channel = f"<channel><title>Big</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def test_a_feed_of_1500_entries() -> None:
    started = time.monotonic()
    parsed = parse(
        fetched(generated_feed(1500), "application/rss+xml", "https://big.example.org/f"), SOURCE
    )
    elapsed = time.monotonic() - started
    assert len(parsed.items) == 1500
    assert parsed.items[1499].title == "Item 1499 & more"
    assert parsed.items[1499].guid == "big-1499"
    assert parsed.items[1499].published == datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=1499)
    assert len(set(source_keys(parsed.items, SOURCE))) == 1500
    assert elapsed < 20


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://x.org/1</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title>
<item><title>leak &secret;</title><link>https://x.org/1</link></item></channel></rss>"""


def test_billion_laughs_is_not_expanded() -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        items = parse(
            fetched(BILLION_LAUGHS, "application/rss+xml", "https://x.org/f"), SOURCE
        ).items
    except ParseError:
        items = ()
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 5
    assert peak < 50 * 1024 * 1024
    assert all(len(item.title) < 1000 for item in items)


def test_external_entities_are_not_read() -> None:
    try:
        items = parse(
            fetched(EXTERNAL_ENTITY, "application/rss+xml", "https://x.org/f"), SOURCE
        ).items
    except ParseError:
        items = ()
    assert all("root:" not in item.title for item in items)


def test_bytes_that_look_like_a_path_are_not_opened() -> None:
    with pytest.raises(ParseError):
        parse(fetched(b"/etc/passwd", "application/rss+xml", "https://x.org/f"), SOURCE)


def test_broken_xml_without_entries_is_an_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</ti'
    with pytest.raises(ParseError, match="invalid feed"):
        parse(fetched(body, "application/rss+xml", "https://x.org/f"), SOURCE)


def test_broken_xml_with_entries_keeps_them_with_a_warning() -> None:
    body = b'<rss version="2.0"><channel><item><title>A &amp; B</title><link>https://x.org/1</link>'
    parsed = parse(fetched(body, "application/rss+xml", "https://x.org/f"), SOURCE)
    assert [i.title for i in parsed.items] == ["A & B"]
    assert parsed.warnings


def test_empty_body_is_an_error() -> None:
    with pytest.raises(ParseError, match="empty"):
        parse(fetched(b"", "application/rss+xml", "https://x.org/f"), SOURCE)


def test_json_error_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse(fetched(b'{"error": "not found"}', "application/json", "https://x.org/f"), SOURCE)
