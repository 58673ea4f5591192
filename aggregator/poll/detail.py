"""`[source.detail]`: each new item's own page, fetched as politely as its source, at most
`max_per_poll` a poll.

"New" is not stored yet: the poller hands over the keys the store holds for the source. Items
already stored are left out of the poll (what their listing says again would replace what their
own page said); new items past the cap wait for the next poll, which then reads the listing
again. Without the stored keys (a preview) every item counts as new, and those past the cap are
shown without their page. A page that cannot be fetched or read stops the poll with an error
naming it: nothing is stored half-read.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aggregator.config.types import DetailSelectors
from aggregator.errors import AggregatorError, ParseError
from aggregator.models import Item, ParsedItem
from aggregator.parsers.detail import enrich, read
from aggregator.poll.follow import Follow
from aggregator.poll.itemize import Keys, remade


def with_details(
    items: Sequence[Item], keys: Sequence[Keys], known: frozenset[str] | None, how: Follow
) -> tuple[tuple[Item, ...], tuple[Keys, ...], bool]:
    """(items, their keys, whether new items wait for the next poll)."""
    selectors = how.source.detail
    assert selectors is not None, "only for sources with [source.detail]"
    kept_items: list[Item] = []
    kept_keys: list[Keys] = []
    fetched = 0
    held = False
    for item, item_keys in zip(items, keys, strict=True):
        if known is not None and item.source_key in known:
            continue  # stored already
        if item.url and fetched < selectors.max_per_poll:
            fetched += 1
            item, item_keys = _detailed(item, selectors, how)
        elif item.url and known is not None:
            held = True
            continue  # its page is read in a later poll
        kept_items.append(item)
        kept_keys.append(item_keys)
    return tuple(kept_items), tuple(kept_keys), held


def _detailed(item: Item, selectors: DetailSelectors, how: Follow) -> tuple[Item, Keys]:
    assert item.url is not None
    try:
        found = read(how.fetch(item.url), selectors, how.now)
    except AggregatorError as exc:
        raise ParseError(f"the page of {item.title!r} ({item.url}): {exc}") from exc
    return remade(
        enrich(parsed_again(item), found), item.source_key, how.source, how.config, how.now
    )


def parsed_again(item: Item) -> ParsedItem:
    """An item as a parser would hand it over (normalising it again changes nothing)."""
    return ParsedItem(
        title=item.title,
        link=item.url,
        guid=item.source_key,
        summary_html=f"<p>{escape(item.summary)}</p>" if item.summary else None,
        content_html=item.content_html,
        published=None if item.provisional_date else item.published,
        updated=None if item.provisional_date else item.updated,
        author=item.author,
        categories=item.source_categories,
        event_date=item.event_date,
        base_url=item.url,
    )
