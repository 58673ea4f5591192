"""`[source.detail]`: what an item's own page adds to what its listing or feed said.

The selectors work as in `[source.select]` (CSS, `@attr`, a link's href, a `<time datetime>`),
run on the whole page: `date` (when it was published), `summary` (its HTML), `event_date`,
`venue` (text), `booking` (a link) and `documents` (every link it matches, or every link inside
what it matches). What a page gives wins over what the listing said; venue, booking link and
documents are added to the item's content.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from html import escape
from typing import Any
from urllib.parse import urljoin

from aggregator.config.types import DetailSelectors
from aggregator.models import FetchResult, ParsedItem
from aggregator.parsers.dates import parse_date, parse_day
from aggregator.parsers.html import page
from aggregator.parsers.jsonld import first_event_day
from aggregator.parsers.select import (
    Found,
    dated,
    find_link,
    looks_like_link,
    markup,
    matches,
    squash,
    value,
)


@dataclass(frozen=True)
class Detail:
    """What one item's page says, each None (or empty) when its selector found nothing."""

    published: datetime | None = None
    summary_html: str | None = None
    event_date: date | None = None
    venue: str | None = None
    booking: str | None = None  # absolute URL
    documents: tuple[tuple[str, str], ...] = ()  # (link text, absolute URL)


def read(result: FetchResult, selectors: DetailSelectors, now: datetime) -> Detail:
    """What the item's page at `result` says; ParseError when it is not an HTML page."""
    document, base = page(result)
    parses = partial(_parses, now=now)
    stated = dated(document, selectors.date, parses) if selectors.date else None
    when = dated(document, selectors.event_date, parses) if selectors.event_date else None
    venue = value(document, selectors.venue) if selectors.venue else None
    booking = find_link(document, selectors.booking) if selectors.booking else None
    return Detail(
        published=parse_date(stated.value, now=now) if stated else None,
        summary_html=markup(document, selectors.summary) if selectors.summary else None,
        event_date=parse_day(when.value, now=now, upcoming=True)
        if when
        else first_event_day(document),
        venue=venue.value if venue else None,
        booking=_absolute(base, booking.value) if booking else None,
        documents=_documents(document, selectors.documents, base) if selectors.documents else (),
    )


def _event_day(document: Any, when: Found | None, now: datetime) -> date | None:
    """What the event_date selector took, else the day the page's JSON-LD Event states."""
    if when is not None:
        return parse_day(when.value, now=now, upcoming=True)
    return first_event_day(document)


def enrich(item: ParsedItem, found: Detail) -> ParsedItem:
    """The item with what its page says: the page wins, its extras join the content."""
    extras = _extras_html(found)
    content = "\n".join(part for part in (item.content_html, extras) if part) or None
    return replace(
        item,
        published=found.published or item.published,
        summary_html=found.summary_html or item.summary_html,
        event_date=found.event_date or item.event_date,
        content_html=content,
    )


def _parses(text: str, now: datetime) -> bool:
    return parse_date(text, now=now) is not None


def _absolute(base: str, href: str) -> str | None:
    return urljoin(base, href) if looks_like_link(href) else None


def _documents(document: Any, selector: str, base: str) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for match in matches(document, selector):
        links = [match] if match.get("href") else list(match.iterfind(".//a[@href]"))
        for link in links:
            url = _absolute(base, link.get("href", "").strip())
            if url and url not in found:
                found[url] = squash(link.text_content()) or url.rsplit("/", 1)[-1]
    return tuple((text, url) for url, text in found.items())


def _extras_html(found: Detail) -> str | None:
    parts = []
    if found.venue:
        parts.append(f"<p><strong>Venue:</strong> {escape(found.venue)}</p>")
    if found.booking:
        parts.append(f'<p><a href="{escape(found.booking)}">Book a place</a></p>')
    if found.documents:
        links = "".join(
            f'<li><a href="{escape(url)}">{escape(text)}</a></li>' for text, url in found.documents
        )
        parts.append(f"<p><strong>Documents:</strong></p><ul>{links}</ul>")
    return "\n".join(parts) or None
