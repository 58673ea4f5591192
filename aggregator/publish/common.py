"""Helpers shared by every output format: XML-safe text, RFC 3339 dates, feed URLs."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

from aggregator.config.types import FeedConfig, Settings
from aggregator.models import StoredItem
from aggregator.normalise.sanitize import strip_bidi_controls
from aggregator.publish.select import as_utc

# Characters XML 1.0 forbids (C0 controls except tab/newline/CR, surrogates, U+FFFE/U+FFFF).
XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SITE_AUTHOR = "Safeguarding feeds"
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)  # fixed, so an empty feed never churns
UNTITLED = "(untitled)"
# Characters a URI may hold outside its host (RFC 3986; "[" and "]" only ever in a host).
_NOT_URI_CHAR = re.compile(r"[^A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")

CONTENT_TYPES: dict[str, str] = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
SPECIAL_CONTENT_TYPES: dict[str, str] = {"latest.json": "application/json; charset=utf-8"}


def content_type_for(name: str) -> str | None:
    if name in SPECIAL_CONTENT_TYPES:
        return SPECIAL_CONTENT_TYPES[name]
    return CONTENT_TYPES.get(os.path.splitext(name)[1])


def clean(text: str | None) -> str:
    """`text` without XML-illegal characters ("" for None)."""
    return XML_ILLEGAL.sub("", text) if text else ""


def as_uri(url: str | None) -> str:
    """`url` as a URI ("" for None): IRI characters, spaces and stray "%" percent-encoded
    as UTF-8 and an international host IDNA-encoded, since feed readers and validators
    reject them raw."""
    parts = urlsplit(clean(url).strip())
    netloc = parts.netloc if parts.netloc.isascii() else _idna(parts.netloc)
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    encoded = _NOT_URI_CHAR.sub(lambda m: quote(m.group(), safe=""), rest)
    scheme = f"{parts.scheme}:" if parts.scheme else ""
    authority = f"//{netloc}" if parts.netloc else ""
    return scheme + authority + encoded


def _idna(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host, safe="")
    return f"{userinfo}{at}{host}{colon}{port}"


def title_of(item: StoredItem) -> str:
    """The item's title as plain text (items stored before titles lost their bidi controls
    lose them here)."""
    return strip_bidi_controls(clean(item.title)).strip() or UNTITLED


def utc_seconds(moment: datetime) -> datetime:
    """Aware UTC, whole seconds: what every output format shows."""
    return as_utc(moment).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    return utc_seconds(moment).isoformat().replace("+00:00", "Z")


def feed_updated(items: list[StoredItem]) -> datetime:
    """The newest `updated` of the items: stable while the store does not change."""
    if not items:
        return EMPTY_FEED_UPDATED
    return max(utc_seconds(item.updated) for item in items)


def site_url(settings: Settings) -> str:
    return settings.site_url.rstrip("/")


def feed_url(settings: Settings, feed: FeedConfig, suffix: str) -> str:
    """Where the published file `<id><suffix>` is served (suffix ".atom", ".rss" or ".json")."""
    return f"{site_url(settings)}/{feed.id}{suffix}"


def entry_id(item: StoredItem, settings: Settings) -> str:
    """The item's public id, which never changes; made an IRI if the store gave a bare token."""
    public_id = clean(item.public_id).strip()
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", public_id):
        return public_id
    return f"{site_url(settings)}/items/{quote(public_id or str(item.id), safe='')}"


def item_tags(item: StoredItem) -> list[str]:
    """Plain tags: the category and, for reviews, every review type it is."""
    return [item.category, *item.review_types]


def themes_scheme(settings: Settings) -> str:
    """The Atom category scheme (RSS category domain) that says a category is a theme."""
    return f"{site_url(settings)}/themes"


def distinct_updated(items: list[StoredItem]) -> dict[int, datetime]:
    """Each item's Atom `updated`, nudged forward by milliseconds where two would be equal.

    The W3C validator warns about entries sharing an `updated` value, which is common for items
    dated only by day or first seen in the same poll. Ties are broken in id order, so an
    existing entry keeps its value when a newer item joins; `updated` is never earlier than
    `published`. Milliseconds, not seconds: items first seen just now must not be dated in
    the future (a thousand ties move one second, not a quarter of an hour).
    """
    moments = {i.id: utc_seconds(max(as_utc(i.updated), as_utc(i.published))) for i in items}
    taken: set[datetime] = set()
    for item_id in sorted(moments, key=lambda key: (moments[key], key)):
        moment = moments[item_id]
        while moment in taken:
            moment += timedelta(milliseconds=1)
        moments[item_id] = moment
        taken.add(moment)
    return moments
