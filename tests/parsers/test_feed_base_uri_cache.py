"""aggregator.parsers.feed caches feedparser's xml:base resolution: parses must not change."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import feedparser.mixin
import feedparser.urls
import pytest

from aggregator.parsers import feed

FIXTURES = Path(__file__).parents[1] / "fixtures"
DOCUMENTS = sorted(p for p in FIXTURES.rglob("*") if p.suffix in {".xml", ".atom", ".rss", ".rdf"})
XML_BASES = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/news/">
  <title>Bases</title>
  <link href="feed.atom" rel="self"/>
  <entry xml:base="2025/">
    <title>Relative base</title><id>one</id><link href="one.html"/>
    <content type="html" xml:base="../../docs/">&lt;a href="x.pdf"&gt;x&lt;/a&gt;</content>
  </entry>
  <entry xml:base="javascript:alert(1)//">
    <title>Unsafe base</title><id>two</id><link href="two.html"/>
    <summary xml:base="http://b.example/">b</summary>
  </entry>
  <entry xml:base="">
    <title>Empty base</title><id>three</id><link href="/three"/>
  </entry>
</feed>"""


def comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(item) for item in value]
    if isinstance(value, Exception):
        return (type(value).__name__, str(value))
    return value


def parsed(body: bytes, location: str) -> Any:
    document = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": location, "content-type": "application/xml"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    return comparable(document)


@pytest.fixture
def uncached() -> Iterator[None]:
    cached = feedparser.mixin.make_safe_absolute_uri
    feedparser.mixin.make_safe_absolute_uri = feedparser.urls.make_safe_absolute_uri
    yield
    feedparser.mixin.make_safe_absolute_uri = cached


def test_the_cache_is_in_place_and_bounded() -> None:
    assert feed.memoise_feedparser_base_uri()  # idempotent: already done on import
    cached = feedparser.mixin.make_safe_absolute_uri
    assert cached.__wrapped__ is feedparser.urls.make_safe_absolute_uri
    assert cached.cache_parameters()["maxsize"] == feed._BASE_URI_CACHE_SIZE


@pytest.mark.parametrize(
    ("body", "location"),
    [(path.read_bytes(), f"https://example.org/{path.name}") for path in DOCUMENTS]
    + [(XML_BASES, "https://example.org/feed"), (XML_BASES, "")],
    ids=[path.name for path in DOCUMENTS] + ["xml-bases", "xml-bases-no-location"],
)
def test_parses_are_the_same_with_and_without_the_cache(body: bytes, location: str) -> None:
    cached = [parsed(body, location) for _ in range(2)]  # a miss, then hits
    feedparser.mixin.make_safe_absolute_uri = feedparser.urls.make_safe_absolute_uri
    try:
        plain = parsed(body, location)
    finally:
        feed.memoise_feedparser_base_uri()
    assert cached == [plain, plain]


@pytest.mark.usefixtures("uncached")
def test_nothing_is_replaced_when_feedparser_lacks_the_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(feedparser.mixin, "make_safe_absolute_uri")
    assert not feed.memoise_feedparser_base_uri()
    assert not hasattr(feedparser.mixin, "make_safe_absolute_uri")


@pytest.mark.usefixtures("uncached")
def test_a_foreign_replacement_is_left_alone() -> None:
    def foreign(base: str, rel: str | None = None) -> str:
        return base

    feedparser.mixin.make_safe_absolute_uri = foreign
    assert not feed.memoise_feedparser_base_uri()
    assert feedparser.mixin.make_safe_absolute_uri is foreign
