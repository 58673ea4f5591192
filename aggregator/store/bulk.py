"""The common case of ingest in a few statements: brand-new items, none sharing any key.

A first poll of a source creates every item; doing that one ORM flush at a time costs several
round trips per item. Here a NewItem whose sighting is not stored, whose keys no stored item
holds and that shares no key with another decision of the batch is created in bulk (items,
sightings, representative ids, keys: one executemany each). Every other decision goes the
careful way (aggregator.store.apply), so the outcome is the same, only cheaper.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from aggregator.models import Decision, NewItem
from aggregator.store.queries import chunks
from aggregator.store.schema import ItemKeyRow, ItemRow, SightingRow

InsertFor = Callable[[Session, Any], Any]
Values = Callable[..., dict[str, Any]]
_ITEMS = ItemRow.__table__
_SIGHTINGS = SightingRow.__table__
_SET_REPRESENTATIVE = (  # run on the Connection: plain executemany, no ORM bulk mode
    update(ItemRow)
    .where(ItemRow.id == bindparam("b_item"))
    .values(representative_id=bindparam("b_sighting"))
)


def fresh_new_items(session: Session, decisions: Sequence[Decision]) -> list[NewItem]:
    """The NewItems that can be created without looking further (see the module docstring)."""
    uses = Counter(key for decision in decisions for key in set(decision.keys))
    news = [d for d in decisions if isinstance(d, NewItem) and all(uses[k] == 1 for k in d.keys)]
    if not news:
        return []
    taken = _taken_keys(session, [key for d in news for key in d.keys])
    stored = _stored_sightings(session, [(d.item.source_id, d.item.source_key) for d in news])
    return [
        d
        for d in news
        if taken.isdisjoint(d.keys) and (d.item.source_id, d.item.source_key) not in stored
    ]


def _taken_keys(session: Session, keys: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for part in chunks(sorted(set(keys))):
        taken.update(session.scalars(select(ItemKeyRow.key).where(ItemKeyRow.key.in_(part))))
    return taken


def _stored_sightings(session: Session, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    columns = (SightingRow.source_id, SightingRow.source_key)
    for part in chunks(sorted(set(pairs))):
        query = select(*columns).where(tuple_(*columns).in_(list(part)))
        found.update((row[0], row[1]) for row in session.execute(query))
    return found


def create_items(
    session: Session,
    news: Sequence[NewItem],
    now: datetime,
    item_values: Values,
    sighting_values: Values,
    insert_for: InsertFor,
) -> dict[int, int]:
    """Create every item with its one sighting and keys; map id(decision) -> new item id."""
    if not news:
        return {}
    connection = session.connection()
    insert_items = insert_for(session, ItemRow).returning(_ITEMS.c.id, sort_by_parameter_order=True)
    item_ids = list(
        connection.execute(insert_items, [item_values(d.item, now) for d in news]).scalars()
    )
    rows = [
        sighting_values(d.item, d.keys) | {"item_id": i, "first_seen": now, "last_seen": now}
        for d, i in zip(news, item_ids, strict=True)
    ]
    insert_sightings = insert_for(session, SightingRow).returning(
        _SIGHTINGS.c.id, sort_by_parameter_order=True
    )
    sighting_ids = list(connection.execute(insert_sightings, rows).scalars())
    pairs = zip(item_ids, sighting_ids, strict=True)
    connection.execute(_SET_REPRESENTATIVE, [{"b_item": i, "b_sighting": s} for i, s in pairs])
    keys = [
        {"key": k, "item_id": i} for d, i in zip(news, item_ids, strict=True) for k in set(d.keys)
    ]
    connection.execute(insert_for(session, ItemKeyRow).on_conflict_do_nothing(), keys)
    return {id(d): i for d, i in zip(news, item_ids, strict=True)}
