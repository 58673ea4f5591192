"""The common case of ingest in a few statements: brand-new items, none sharing any key.

A first poll of a source creates every item; doing that one ORM flush at a time costs several
round trips per item. Here a NewItem whose sighting is not stored, whose keys no stored item
holds but those it was judged against, and that shares no key with another decision of the
batch is created in bulk (ids taken
first, then items, sightings and keys: one executemany each). Every other decision goes the
careful way (aggregator.store.ingest.apply), so the outcome is the same, only cheaper.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence, Set
from datetime import datetime
from itertools import chain, repeat
from operator import attrgetter

from aggregator.models import Decision, NewItem
from aggregator.store.ingest.batch import key_holders
from aggregator.store.ingest.careful import REPRESENTATIVE_FIELDS, VALUE_FIELDS
from aggregator.store.rawsql import Raw, table_of
from aggregator.store.schema import ItemKeyRow, ItemRow, SightingRow

_ITEMS = table_of(ItemRow)
_SIGHTINGS = table_of(SightingRow)
_KEYS = table_of(ItemKeyRow)
_KEY_COLUMNS = ("key", "item_id")
_FLAGS = ("public_id", "created_at", "pinned", "hidden", "deleted")
_ITEM_COLUMNS = ("id", "representative_id", *_FLAGS, *REPRESENTATIVE_FIELDS)
_SHOWN = attrgetter(*REPRESENTATIVE_FIELDS)
_LISTS = ("source_categories", "themes", "joint_types", "lookup_keys")  # JSON lists
_PLAIN = tuple(name for name in VALUE_FIELDS if name not in _LISTS)
_SIGHTING_COLUMNS = ("id", "item_id", "first_seen", "last_seen", *_PLAIN, *_LISTS)
_SIGHTING_VALUES = attrgetter(*_PLAIN)


def fresh_new_items(
    raw: Raw,
    decisions: Sequence[Decision],
    stored: Mapping[tuple[str, str], object],
    free_keys: Set[str] = frozenset(),
) -> list[NewItem]:
    """The NewItems that can be created without looking further (see the module docstring).

    `stored`: the stored sighting (None: none) of each decision's (source_id, source_key).
    `free_keys`: keys no item held when read earlier in this transaction; on SQLite (one
    writer at a time) they need no second look.
    """
    uses = Counter(chain.from_iterable(set(decision.keys) for decision in decisions))
    shared = {key for key, count in uses.items() if count > 1}
    news = [d for d in decisions if isinstance(d, NewItem) and shared.isdisjoint(d.keys)]
    if not news:
        return []
    unknown = set(chain.from_iterable(d.keys for d in news))
    if not raw.postgres:
        unknown -= free_keys
    holders = key_holders(raw, list(unknown)) if unknown else {}
    return [
        d
        for d in news
        if all(holders.get(key, _NONE) <= d.seen for key in d.keys)  # judged against them all
        and stored[(d.item.source_id, d.item.source_key)] is None
    ]


_NONE: frozenset[int] = frozenset()


def create_items(
    raw: Raw, news: Sequence[NewItem], now: datetime, new_public_id: Callable[[], str]
) -> dict[int, int]:
    """Create every item with its one sighting and keys; map id(decision) -> new item id.

    The rows are what apply.py's careful way stores for a new item (careful.create_item).
    """
    if not news:
        return {}
    item_ids, sighting_ids = raw.new_ids(len(news), _ITEMS, _SIGHTINGS)
    items, sightings = [], []
    keys: list[tuple[str, int]] = []
    for decision, item_id, sighting_id in zip(news, item_ids, sighting_ids, strict=True):
        item = decision.item
        flags = (new_public_id(), now, False, False, False)
        items.append((item_id, sighting_id, *flags, *_SHOWN(item)))
        lists = (
            list(item.source_categories),
            list(item.themes),
            list(item.joint_types),
            sorted(set(decision.keys)),
        )
        sightings.append((sighting_id, item_id, now, now, *_SIGHTING_VALUES(item), *lists))
        keys.extend(zip(set(decision.keys), repeat(item_id)))
    raw.insert(_ITEMS, _ITEM_COLUMNS, items)
    raw.insert(_SIGHTINGS, _SIGHTING_COLUMNS, sightings)
    raw.insert(_KEYS, _KEY_COLUMNS, keys, "ON CONFLICT DO NOTHING")
    return {id(d): i for d, i in zip(news, item_ids, strict=True)}
