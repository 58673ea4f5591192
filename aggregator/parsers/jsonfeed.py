"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) for `feed` sources.

Recognised as reader and Miniflux recognise it: by its media type (`application/feed+json`, or
`application/json`) or by a body that opens with `{`; then its `version` must name JSON Feed 1.
1.0's `author` and numeric ids are read as well as 1.1's `authors`. An item without a title (a
microblog post) is titled with the start of its text, as Miniflux does; one with neither title,
text nor link is skipped with a warning.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape, unescape
from typing import Any

from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem, ParseResult
from aggregator.normalise.sanitize import html_to_text
from aggregator.parsers.dates import parse_date

JSON_TYPES = frozenset({"application/feed+json", "application/json"})
VERSION_PREFIX = "https://jsonfeed.org/version/1"
TITLE_LENGTH = 100


def is_json_feed(result: FetchResult) -> bool:
    """Is this body to be read as a JSON Feed (and not by feedparser)?"""
    if result.content_type in JSON_TYPES:
        return True
    return (result.body or b"").lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse(result: FetchResult, source: SourceConfig) -> ParseResult:
    """The items of a JSON Feed; ParseError when the body is not one."""
    del source  # every JSON Feed is read the same way
    document = _document(result)
    base = _text(document.get("home_page_url")) or result.url
    items: list[ParsedItem] = []
    warnings: list[str] = []
    for position, entry in enumerate(document["items"], start=1):
        item = _item(entry, base) if isinstance(entry, dict) else None
        if item is None:
            warnings.append(f"item {position}: no title, text or link, skipped")
        else:
            items.append(item)
    title = _text(document.get("title")) or None
    return ParseResult(
        tuple(items), title, _text(document.get("home_page_url")) or None, tuple(warnings)
    )


def _document(result: FetchResult) -> dict[str, Any]:
    try:
        document = json.loads((result.body or b"").decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a feed: invalid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ParseError("not a feed: JSON, but not an object")
    version = _text(document.get("version"))
    if not version.startswith(VERSION_PREFIX):
        raise ParseError(f"not a feed: JSON, but not a JSON Feed 1.x (version {version!r})")
    if not isinstance(document.get("items"), list):
        raise ParseError("invalid JSON Feed: no items list")
    return document


def _item(entry: dict[str, Any], base: str) -> ParsedItem | None:
    link = _text(entry.get("url")) or _text(entry.get("external_url")) or None
    content = _content(entry)
    summary = _text(entry.get("summary"))
    # plain text by the spec, yet WordPress's JSON Feed plugin sends "&#8211;" and the like
    title = " ".join(unescape(_text(entry.get("title"))).split()) or _title_from(summary, content)
    if not title and not link:
        return None
    return ParsedItem(
        title=title or (link or ""),
        link=link,
        guid=_id(entry.get("id")),
        summary_html=f"<p>{escape(summary)}</p>" if summary else None,
        content_html=content,
        published=_date(entry.get("date_published")),
        updated=_date(entry.get("date_modified")),
        author=_author(entry),
        categories=tuple(
            t.strip() for t in entry.get("tags") or () if isinstance(t, str) and t.strip()
        ),
        base_url=base,
    )


def _content(entry: dict[str, Any]) -> str | None:
    markup = _text(entry.get("content_html"))
    if markup.strip():
        return markup
    plain = _text(entry.get("content_text"))
    return "".join(f"<p>{escape(p.strip())}</p>" for p in plain.split("\n\n") if p.strip()) or None


def _title_from(summary: str, content: str | None) -> str:
    text = summary or (html_to_text(content) if content else "")
    words = " ".join(text.split())
    if len(words) <= TITLE_LENGTH:
        return words
    return words[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def _id(value: object) -> str | None:
    """1.1 says a string; 1.0 feeds also give numbers."""
    if isinstance(value, bool) or value is None:
        return None
    shown = str(value).strip() if isinstance(value, str | int | float) else ""
    return shown or None


def _date(value: object) -> datetime | None:
    """RFC 3339; other forms through the shared date parser."""
    text = _text(value).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return parse_date(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _author(entry: dict[str, Any]) -> str | None:
    authors = entry.get("authors")
    people = authors if isinstance(authors, list) else [entry.get("author")]
    names = [_text(p.get("name")) for p in people if isinstance(p, dict)]
    return next((" ".join(n.split()) for n in names if n.strip()), None)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
