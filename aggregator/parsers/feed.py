"""RSS 0.9x/1.0/2.0 and Atom, through feedparser.

feedparser neither sanitises nor resolves URIs inside HTML here: normalise does both, once. The
body is handed over as a stream (never as bytes, which feedparser may take for a file name) with
the HTTP Content-Type, so the header charset outranks the XML declaration as RFC 7303 says, and a
wrong one falls back to the declaration, UTF-8 and windows-1252 in turn.
"""

from __future__ import annotations

import html
import io
import re
from calendar import timegm
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser

from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem, ParseResult
from aggregator.sanitize import html_to_text

_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TOLERATED = ("CharacterEncodingOverride", "NonXMLContentType", "CharacterEncodingUnknown")


def parse(result: FetchResult, source: SourceConfig) -> ParseResult:
    """Items of the feed in `result`; ParseError when the body is not a usable feed."""
    del source  # every feed is read the same way
    if not result.body:
        raise ParseError("empty response body")
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


def _item(entry: Any, feed_base: str, fetched_url: str) -> ParsedItem:
    content = _content(entry)
    summary = _html(entry.get("summary_detail"), entry.get("summary"))
    if summary is not None and content is not None and summary == content[0]:
        summary = None  # feedparser copies lone content into summary
    return ParsedItem(
        title=_plain(entry.get("title_detail"), entry.get("title")),
        link=_link(entry),
        guid=(entry.get("id") or "").strip() or None,
        summary_html=summary,
        content_html=content[0] if content else None,
        # dict.get: FeedParserDict would otherwise pass published off as updated
        published=_utc(dict.get(entry, "published_parsed")),
        updated=_utc(dict.get(entry, "updated_parsed")),
        author=(entry.get("author") or "").strip() or None,
        categories=_categories(entry),
        base_url=_base(entry, content, feed_base, fetched_url),
    )


def _link(entry: Any) -> str | None:
    links = [link for link in entry.get("links", ()) if link.get("href")]
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    for link in alternates:
        if "html" in (link.get("type") or "text/html"):
            return str(link["href"]).strip()
    if alternates:
        return str(alternates[0]["href"]).strip()
    link = entry.get("link")
    return str(link).strip() if link else None


def _content(entry: Any) -> tuple[str, str | None] | None:
    """(HTML, its base URL) of the fullest content block."""
    blocks = [block for block in entry.get("content", ()) if (block.get("value") or "").strip()]
    if not blocks:
        return None
    block = max(blocks, key=lambda b: len(b.get("value") or ""))
    markup = _html(block, block.get("value"))
    return (markup, block.get("base")) if markup is not None else None


def _html(detail: Any, value: str | None) -> str | None:
    """The value as HTML: plain-text constructs are escaped."""
    if not value or not value.strip():
        return None
    kind = (detail or {}).get("type") or "text/html"
    return html.escape(value, quote=False) if kind == "text/plain" else value


def _plain(detail: Any, value: str | None) -> str:
    if not value:
        return ""
    kind = (detail or {}).get("type") or "text/plain"
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
    for tag in entry.get("tags", ()):
        name = " ".join(str(tag.get("label") or tag.get("term") or "").split())
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _base(
    entry: Any, content: tuple[str, str | None] | None, feed_base: str, fetched_url: str
) -> str:
    candidates = (
        content[1] if content else None,
        (entry.get("summary_detail") or {}).get("base"),
        (entry.get("title_detail") or {}).get("base"),
        feed_base,
        fetched_url,
    )
    return next(str(c) for c in candidates if c)
