"""A fetched document to normalised, classified items and their dedupe lookup keys: parse, then
normalise and classify, then key (once, wherever the source is polled)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

from aggregator.config.types import Config, SourceConfig
from aggregator.dedupe.decide import lookup_keys, with_signature
from aggregator.models import Classification, FetchResult, Item, ParsedItem
from aggregator.normalise.classify import classify
from aggregator.normalise.item import normalise, source_keys
from aggregator.parsers import parser_for

Keys = tuple[str, ...]  # dedupe lookup keys of one item
# Items and their dedupe lookup keys (the pool's processes run it in their parsing thread).
ItemMaker = Callable[[FetchResult, SourceConfig, Config, datetime], tuple[list[Item], list[Keys]]]


def classifier_for(config: Config, source: SourceConfig) -> Callable[..., Classification]:
    rules = (*source.rules, *config.settings.rules)
    hint = source.category or ("training" if source.type == "ical" else None)
    return partial(classify, hint=hint, rules=rules)


def to_items(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> list[Item]:
    parsed = parser_for(source.type)(result, source).items
    keys = source_keys(parsed, source)
    classify_item = classifier_for(config, source)
    return [
        with_event_date(
            normalise(
                entry,
                source,
                key,
                first_seen=now,
                now=now,
                classify=classify_item,
                tracking_params=config.settings.tracking_params,
            ),
            now,
        )
        for entry, key in zip(parsed, keys, strict=True)
    ]


def with_event_date(item: Item, now: datetime) -> Item:
    """A training item that states no event date takes the first date its title, else its
    summary, gives ("Domestic abuse awareness - Thursday 14 January 2027"), read as upcoming
    and only when it can be an event's (parsers.dates.event_day_in)."""
    if item.category != "training" or item.event_date is not None:
        return item
    from aggregator.parsers.dates import event_day_in  # dateutil: only where a date is sought

    for text in (item.title, item.summary):
        day = event_day_in(text, now)
        if day is not None:
            return replace(item, event_date=day)
    return item


def items_and_keys(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> tuple[list[Item], list[Keys]]:
    """The items of a fetched document and the dedupe lookup keys of each."""
    items = [with_signature(item) for item in to_items(result, source, config, now)]
    return items, [lookup_keys(item) for item in items]


def remade(
    parsed: ParsedItem, key: str, source: SourceConfig, config: Config, now: datetime
) -> tuple[Item, Keys]:
    """One parsed entry (say, one its own page told more of) made an item again, with its key."""
    item = normalise(
        parsed,
        source,
        key,
        first_seen=now,
        now=now,
        classify=classifier_for(config, source),
        tracking_params=config.settings.tracking_params,
    )
    signed = with_signature(with_event_date(item, now))
    return signed, lookup_keys(signed)
