"""What a source's first document leads to: the further pages of a listing that pages (`next`,
up to `max_pages`), fetched as politely as the source itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import requests

from aggregator.config.types import Config, SourceConfig
from aggregator.errors import ParseError
from aggregator.fetch.politeness import HostLimiter, fetch_url_politely
from aggregator.fetch.robots import RobotsCache
from aggregator.models import FetchResult, Item, SourceState
from aggregator.poll.itemize import ItemMaker, Keys


@dataclass(frozen=True)
class Follow:
    """Everything needed to fetch and parse more documents of one source in this poll."""

    source: SourceConfig
    config: Config
    session: requests.Session
    limiter: HostLimiter
    robots: RobotsCache | None
    now: datetime
    parse: ItemMaker

    def fetch(self, url: str) -> FetchResult:
        """`url`, unconditionally (a further page has no ETag of its own in the source state)."""
        state = SourceState(self.source.id)
        settings = self.config.settings
        return fetch_url_politely(
            url, self.source, state, settings, self.session, self.limiter, self.robots
        )


def follow(
    first: FetchResult, items: Sequence[Item], keys: Sequence[Keys], how: Follow
) -> tuple[tuple[Item, ...], tuple[Keys, ...]]:
    """The first page's items and keys with those of the listing's further pages."""
    every_item, every_key = list(items), list(keys)
    for page in further_pages(first, how):
        more_items, more_keys = how.parse(page, how.source, how.config, how.now)
        every_item.extend(more_items)
        every_key.extend(more_keys)
    return _first_of_each(every_item, every_key)


def further_pages(first: FetchResult, how: Follow) -> list[FetchResult]:
    """Pages 2 to `max_pages` of a listing, each found by the `next` selector on the one before;
    ParseError when a `next` link leads back to a page already read."""
    select = how.source.select
    if select is None or not select.next or how.source.max_pages < 2:
        return []
    # Only listings that page load the HTML parser: a pool process that polls feeds never does
    # (lxml is 7 MB a process).
    from aggregator.parsers.html import next_page

    seen = {how.source.url, first.url}
    pages: list[FetchResult] = []
    page = first
    while len(pages) + 1 < how.source.max_pages:
        url = next_page(page, select.next)
        if url is None:
            break
        if url in seen:
            raise ParseError(
                f"the listing's pages loop: page {len(pages) + 1}'s next link ({url}) "
                "leads to a page already read"
            )
        page = how.fetch(url)
        seen.update((url, page.url))
        pages.append(page)
    return pages


def _first_of_each(
    items: list[Item], keys: list[Keys]
) -> tuple[tuple[Item, ...], tuple[Keys, ...]]:
    """An item seen on two pages (the listing moved on between fetches) is kept once."""
    seen: set[str] = set()
    kept_items: list[Item] = []
    kept_keys: list[Keys] = []
    for item, item_keys in zip(items, keys, strict=True):
        if item.source_key not in seen:
            seen.add(item.source_key)
            kept_items.append(item)
            kept_keys.append(item_keys)
    return tuple(kept_items), tuple(kept_keys)
