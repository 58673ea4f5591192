"""RSS 0.9x/1.0/2.0 and Atom, through feedparser; a JSON Feed goes to parsers.jsonfeed.

feedparser neither sanitises nor resolves URIs inside HTML here: normalise does both, once. The
body is handed over as a stream (never as bytes, which feedparser may take for a file name) with
the HTTP Content-Type, so the header charset outranks the XML declaration as RFC 7303 says, and a
wrong one falls back to the declaration, UTF-8 and windows-1252 in turn.
"""

from __future__ import annotations

import functools
import html
import io
import re
from calendar import timegm
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser
import feedparser.mixin
import feedparser.urls

from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem, ParseResult
from aggregator.normalise.sanitize import html_to_text
from aggregator.parsers import jsonfeed

_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TOLERATED = ("CharacterEncodingOverride", "NonXMLContentType", "CharacterEncodingUnknown")
_BASE_URI_CACHE_SIZE = 256


def memoise_feedparser_base_uri() -> bool:
    """Cache feedparser's xml:base resolution; True when the cache is (now) in place.

    On every start tag feedparser.mixin calls make_safe_absolute_uri(base, base), nearly always
    with one pair per document: a urljoin each time, about a tenth of a parsing worker's CPU.
    The function is pure (two strings in, a string out), so a bounded cache of mixin's binding
    of it (the only one replaced) changes nothing but the time. Skipped when feedparser is laid
    out differently; tests/test_feed_base_uri_cache.py checks parses are unchanged.
    """
    original = getattr(feedparser.urls, "make_safe_absolute_uri", None)
    bound = getattr(feedparser.mixin, "make_safe_absolute_uri", None)
    if original is None or bound is None:
        return False
    if bound is not original:  # cached already, or replaced by someone else: leave it
        return getattr(bound, "__wrapped__", None) is original
    feedparser.mixin.make_safe_absolute_uri = functools.lru_cache(_BASE_URI_CACHE_SIZE)(original)
    return True


memoise_feedparser_base_uri()


def parse(result: FetchResult, source: SourceConfig) -> ParseResult:
    """Items of the feed in `result`; ParseError when the body is not a usable feed."""
    if not result.body:
        raise ParseError("empty response body")
    if jsonfeed.is_json_feed(result):
        return jsonfeed.parse(result, source)
    document = feedparser.parse(
        io.BytesIO(result.body),
        response_headers=_headers(result),
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    _check(document, result)
    feed = document.feed
    base = feed.get("link") or result.url
    items = tuple(_item(entry, base, result.url) for entry in document.entries)
    return ParseResult(
        items=items,
        title=_plain(feed.get("title_detail"), feed.get("title")) or None,
        link=feed.get("link"),
        warnings=_warnings(document),
    )


def _headers(result: FetchResult) -> dict[str, str]:
    headers = {"content-location": result.url}
    media = result.content_type
    if result.charset:
        headers["content-type"] = f"{media or 'application/xml'}; charset={result.charset}"
    elif media:
        # Without a charset, text/* would mean us-ascii (RFC 3023): let the document speak.
        headers["content-type"] = "application/xml" if media.startswith("text/") else media
    return headers


def _check(document: Any, result: FetchResult) -> None:
    if document.entries:
        return
    if not document.get("version"):
        if result.content_type in _HTML_TYPES or _HTML_START.match(result.body or b""):
            raise ParseError("not a feed: looks like an HTML page")
        problem = document.get("bozo_exception")
        raise ParseError(f"not a feed: {_describe(problem) if problem else 'unknown format'}")
    if document.get("bozo") and not _tolerable(document.get("bozo_exception")):
        raise ParseError(f"invalid feed: {_describe(document.get('bozo_exception'))}")


def _tolerable(problem: object) -> bool:
    return problem is None or type(problem).__name__ in _TOLERATED


def _describe(problem: object) -> str:
    text = str(problem).strip() or type(problem).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _warnings(document: Any) -> tuple[str, ...]:
    problem = document.get("bozo_exception")
    if not document.get("bozo") or problem is None:
        return ()
    return (f"{type(problem).__name__}: {_describe(problem)}",)


# The entries and their parts are FeedParserDicts. None of the keys read below has an alias in
# FeedParserDict.keymap, so dict.get finds what .get would, without its alias lookups (a few
# microseconds an item); it also keeps feedparser from passing published off as updated.
_get = dict.get


def _item(entry: Any, feed_base: str, fetched_url: str) -> ParsedItem:
    content = _content(entry)
    summary = _html(_get(entry, "summary_detail"), _get(entry, "summary"))
    if summary is not None and content is not None and summary == content[0]:
        summary = None  # feedparser copies lone content into summary
    return ParsedItem(
        title=_plain(_get(entry, "title_detail"), _get(entry, "title")),
        link=_link(entry),
        guid=(_get(entry, "id") or "").strip() or None,
        summary_html=summary,
        content_html=content[0] if content else None,
        published=_utc(_get(entry, "published_parsed")),
        updated=_utc(_get(entry, "updated_parsed")),
        author=(_get(entry, "author") or "").strip() or None,
        categories=_categories(entry),
        base_url=_base(entry, content, feed_base, fetched_url),
    )


def _link(entry: Any) -> str | None:
    links = [link for link in _get(entry, "links", ()) if _get(link, "href")]
    alternates = [link for link in links if _get(link, "rel", "alternate") == "alternate"]
    for link in alternates:
        if "html" in (_get(link, "type") or "text/html"):
            return str(link["href"]).strip()
    if alternates:
        return str(alternates[0]["href"]).strip()
    link = _get(entry, "link")
    return str(link).strip() if link else None


def _content(entry: Any) -> tuple[str, str | None] | None:
    """(HTML, its base URL) of the fullest content block."""
    blocks = [b for b in _get(entry, "content", ()) if (_get(b, "value") or "").strip()]
    if not blocks:
        return None
    block = max(blocks, key=lambda b: len(_get(b, "value") or ""))
    markup = _html(block, _get(block, "value"))
    return (markup, _get(block, "base")) if markup is not None else None


def _html(detail: Any, value: str | None) -> str | None:
    """The value as HTML: plain-text constructs are escaped."""
    if not value or not value.strip():
        return None
    kind = _get(detail or {}, "type") or "text/html"
    return html.escape(value, quote=False) if kind == "text/plain" else value


def _plain(detail: Any, value: str | None) -> str:
    if not value:
        return ""
    kind = _get(detail or {}, "type") or "text/plain"
    if "html" in kind:
        return html_to_text(value)
    return " ".join(value.split())


def _utc(parsed: struct_time | None) -> datetime | None:
    """feedparser's *_parsed are UTC struct_times."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _categories(entry: Any) -> tuple[str, ...]:
    names: list[str] = []
    for tag in _get(entry, "tags", ()):
        name = " ".join(str(_get(tag, "label") or _get(tag, "term") or "").split())
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _base(
    entry: Any, content: tuple[str, str | None] | None, feed_base: str, fetched_url: str
) -> str:
    candidates = (
        content[1] if content else None,
        _get(_get(entry, "summary_detail") or {}, "base"),
        _get(_get(entry, "title_detail") or {}, "base"),
        feed_base,
        fetched_url,
    )
    return next(str(c) for c in candidates if c)
