"""`html` sources: listing pages of boards that publish no feed, read with CSS selectors.

`[source.select]` names the elements: `item` selects each entry (an element nested inside another
match is ignored, so "article, .blog-item" does not yield one entry twice); within it `title`
(default: the text of the first link), `link` (default `a@href`), `date`, `summary`, `event_date`.
A selector ending in `@attr` reads that attribute ("time@datetime"); a bare `@attr` reads the
item's own.

Dates: the `date` selector's value; else a date that opens the title ("Friday 26 June 2020 - SAR
Mrs A": the title keeps what follows the date and its separator); else the first date in the item's
text. For `training` sources the date found in the text is the event date, not the publication date
(the `event_date` selector, when given, wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from aggregator.clock import utcnow
from aggregator.config.types import Selectors, SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem, ParseResult
from aggregator.parsers.dates import find_date, leading_date, parse_date, parse_day
from aggregator.parsers.jsonld import event_days
from aggregator.parsers.select import (
    Found,
    dated,
    find_link,
    looks_like_link,
    markup,
    select_all,
    split,
    squash,
    value,
)

_BLOCK_TAGS = (
    "br", "p", "div", "li", "dt", "dd", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "article", "section", "header", "footer", "aside", "blockquote", "figcaption", "time",
)  # fmt: skip
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*(?P<charset>[\w.:-]+)""", re.IGNORECASE
)
_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
# WHATWG: pages labelled latin-1 or ascii are decoded as windows-1252
_WHATWG_ALIASES = dict.fromkeys(("iso-8859-1", "iso8859-1", "latin-1", "latin1", "ascii"), "cp1252")
_WHATWG_ALIASES["us-ascii"] = "cp1252"
_FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
}  # not application/json: WordPress uses it for REST API links


@dataclass(frozen=True)
class FieldMatch:
    """For the preview: what one field's selector took from one item (None: nothing)."""

    field: str
    selector: str
    found: Found | None


def parse(result: FetchResult, source: SourceConfig) -> ParseResult:
    """Every entry of one listing page; ParseError when the page no longer has any."""
    select = _selectors(source)
    document = _document(result)
    base_url = _base_url(document, result.url)
    now = utcnow()
    items: list[ParsedItem] = []
    warnings: list[str] = []
    for position, element in enumerate(_items(document, select.item), start=1):
        notes: list[str] = []
        item = _item(element, source, base_url, now, notes)
        warnings.extend(f"item {position}: {note}" for note in notes)
        if item is None:
            warnings.append(f"item {position} has no title text, skipped")
        else:
            items.append(item)
    if not items:
        raise ParseError(f"selector {select.item!r} matched no items — has the page changed?")
    if not select.event_date:
        items = _declared_event_days(items, event_days(document, base_url))
    warnings.extend(_same_link(items, select))
    return ParseResult(tuple(items), _page_title(document), result.url, tuple(warnings))


def _declared_event_days(items: list[ParsedItem], days: dict[str, date]) -> list[ParsedItem]:
    """The day the page's JSON-LD states for an item's link wins over one read from its text."""
    return [
        replace(item, event_date=days[item.link]) if item.link in days else item for item in items
    ]


def explain(result: FetchResult, source: SourceConfig) -> tuple[tuple[FieldMatch, ...], ...]:
    """For each item parse() makes of the page, which selector took what (the preview shows it)."""
    select = _selectors(source)
    document = _document(result)
    now = utcnow()
    explained = []
    for element in _items(document, select.item):
        fields = _fields(element, select, now)
        if fields["title"] is None:
            continue  # skipped by parse() too: the explanations stay in step with the items
        shown = {**fields, "summary": value(element, select.summary) if select.summary else None}
        explained.append(tuple(
            FieldMatch(name, selector, shown.get(name))
            for name, selector in _named_selectors(select)
        ))  # fmt: skip
    return tuple(explained)


def next_page(result: FetchResult, selector: str) -> str | None:
    """The absolute URL the listing's `next` selector points at, None on the last page."""
    document = _document(result)
    found = find_link(document, selector)
    if found is None or not looks_like_link(found.value) or not _usable_link(found.value):
        return None
    return urljoin(_base_url(document, result.url), found.value).split("#", 1)[0]


def page(result: FetchResult) -> tuple[Any, str]:
    """An HTML page's document and the URL its relative links resolve against."""
    document = _document(result)
    return document, _base_url(document, result.url)


def _selectors(source: SourceConfig) -> Selectors:
    if source.select is None:
        raise ParseError(f"source {source.id!r} is of type html but has no [source.select]")
    return source.select


def _named_selectors(select: Selectors) -> list[tuple[str, str]]:
    named = [
        ("title", select.title or "a"),
        ("link", select.link or "a@href"),
        ("date", select.date),
        ("summary", select.summary),
        ("event_date", select.event_date),
    ]
    return [(name, selector) for name, selector in named if selector]


def _same_link(items: list[ParsedItem], select: Selectors) -> list[str]:
    links = {item.link for item in items}
    if len(items) < 2 or len(links) != 1 or None in links:
        return []
    return [
        f"every item has the same link ({items[0].link}): "
        f"does the link selector {select.link or 'a@href'!r} pick each item's own link?"
    ]


def discover_feeds(html: bytes, base_url: str) -> list[tuple[str, str]]:
    """(absolute feed URL, title) of each `<link rel="alternate">` feed a page advertises."""
    try:
        document = lxml.html.document_fromstring(decode_html(html, None))
    except (etree.ParserError, ValueError):
        return []
    base = _base_url(document, base_url)
    feeds: dict[str, str] = {}
    for link in document.iterfind(".//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = _FEED_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        if "alternate" in rel and kind and link.get("href", "").strip():
            url = urljoin(base, link.get("href", "").strip())
            feeds.setdefault(url, squash(link.get("title") or "") or kind)
    return list(feeds.items())


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Bytes to text without mojibake.

    Tried in order, strictly: a byte-order mark, the HTTP charset, `<meta charset>`, UTF-8, and
    windows-1252 as the last resort. Single-byte charsets decode anything, so when one is declared
    but the bytes are valid UTF-8 with non-ASCII characters, UTF-8 is what the author wrote.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    declared = [c for c in (header_charset, _meta_charset(body)) if c]
    if any(_is_single_byte(c) for c in declared) and _is_utf8_text(body):
        return body.decode("utf-8")
    for charset in (*declared, "utf-8"):
        text = _try_decode(body, charset)
        if text is not None:
            return text
    return body.decode("cp1252", errors="replace")


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match["charset"].decode("ascii") if match else None


def _is_single_byte(charset: str) -> bool:
    return charset.strip().lower() in _SINGLE_BYTE or charset.lower().startswith("iso-8859")


def _is_utf8_text(body: bytes) -> bool:
    return not body.isascii() and _try_decode(body, "utf-8") is not None


def _try_decode(body: bytes, charset: str) -> str | None:
    name = charset.strip().lower()
    try:
        return body.decode(_WHATWG_ALIASES.get(name, name))
    except (LookupError, UnicodeDecodeError):
        return None


def _document(result: FetchResult) -> Any:
    if not result.body or not result.body.strip():
        raise ParseError(f"{result.url}: empty page")
    text = decode_html(result.body, result.charset)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str with an encoding declaration
    try:
        document = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"{result.url}: not an HTML page: {exc}") from exc
    _space_out_blocks(document)
    return document


def _space_out_blocks(document: Any) -> None:
    """Put spaces around line breaks and block elements so that text_content() does not glue
    "14 July 2025<br>SAR Mrs A" or "<td>02 Sept 2025</td><td>SAR</td>" into one word."""
    for element in document.iter(*_BLOCK_TAGS):
        element.tail = " " + (element.tail or "")
        if element.tag != "br":
            element.text = " " + (element.text or "")


def _base_url(document: Any, fetched_url: str) -> str:
    base = document.find(".//base[@href]")
    href = base.get("href", "").strip() if base is not None else ""
    return urljoin(fetched_url, href) if href else fetched_url


def _page_title(document: Any) -> str | None:
    title = document.find(".//title")
    return squash(title.text_content()) or None if title is not None else None


def _items(document: Any, item_selector: str) -> list[Any]:
    """Matches of the item selector, outermost only, in document order."""
    matches = select_all(document, split(item_selector).css, item_selector)
    chosen = set(matches)
    return [e for e in matches if not any(a in chosen for a in e.iterancestors())]


def _fields(element: Any, select: Selectors, now: datetime) -> dict[str, Found | None]:
    """What each selector takes from one item element."""
    # selectors match descendant-or-self: an item that is itself an <a> is its own title and link
    return {
        "title": value(element, select.title or "a"),
        "link": find_link(element, select.link or "a@href"),
        "date": dated(element, select.date, partial(_parses, now=now)) if select.date else None,
        "event_date": (
            dated(element, select.event_date, partial(_parses, now=now))
            if select.event_date
            else None
        ),
    }


def _parses(text: str, now: datetime) -> bool:
    return parse_date(text, now=now) is not None


def _item(
    element: Any, source: SourceConfig, base_url: str, now: datetime, notes: list[str]
) -> ParsedItem | None:
    select: Selectors = source.select  # type: ignore[assignment]  # parse() checked it
    fields = _fields(element, select, now)
    title = fields["title"].value if fields["title"] else ""
    if not title:
        return None
    href = _link_of(fields["link"], select, notes)
    published, title = _published(element, fields["date"], title, source, now)
    absolute = urljoin(base_url, href) if href else None
    return ParsedItem(
        title=title,
        link=absolute,
        guid=absolute,
        summary_html=_summary_html(element, select.summary),
        published=published,
        event_date=_event_date(element, fields["event_date"], source, now),
        base_url=base_url,
    )


def _link_of(found: Found | None, select: Selectors, notes: list[str]) -> str | None:
    if found is None:
        return None
    if not looks_like_link(found.value):
        shown = found.value if len(found.value) <= 60 else found.value[:57] + "..."
        notes.append(
            f"link selector {select.link or 'a@href'!r} took the {found.taken} of "
            f"{found.element}, {shown!r}, which is not a URL path: no link"
        )
        return None
    return _usable_link(found.value)


def _usable_link(href: str) -> str | None:
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "data:")):
        return None
    return href


def _published(
    element: Any, stated: Found | None, title: str, source: SourceConfig, now: datetime
) -> tuple[datetime | None, str]:
    """The publication date, and the title without a date that opens it."""
    opening = leading_date(title, now)
    if opening is not None:
        title = opening[1]
    found = parse_date(stated.value, now=now) if stated else None
    if found is not None:
        return found, title
    if source.category == "training":  # dates in a training listing are when the event is
        return None, title
    if opening is not None:
        return opening[0], title
    in_text = find_date(squash(element.text_content()), now)
    return (in_text[0] if in_text else None), title


def _event_date(
    element: Any, stated: Found | None, source: SourceConfig, now: datetime
) -> date | None:
    if source.select is not None and source.select.event_date:
        return parse_day(stated.value, now=now, upcoming=True) if stated else None
    if source.category != "training":
        return None
    return parse_day(squash(element.text_content()), now=now, upcoming=True)


def _summary_html(element: Any, selector: str | None) -> str | None:
    return markup(element, selector) if selector else None
