"""Write side of ingest: apply dedupe's decisions (dedupe decides, the store applies).

New items that need no care are created in bulk (aggregator.store.ingest.bulk); every other decision
goes the careful way (aggregator.store.ingest.careful), one at a time, in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence, Set
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aggregator.models import Decision, Item, NewItem, Regroup
from aggregator.store.ingest.bulk import create_items, fresh_new_items
from aggregator.store.ingest.careful import REPRESENTATIVE_FIELDS, Careful, pair_of, read_sightings
from aggregator.store.ingest.keylock import Redecide, lock_keys, new_item_keys, recheck
from aggregator.store.ingest.regroup import regroup
from aggregator.store.rawsql import Raw
from aggregator.store.schema import ItemKeyRow, ItemRow, SightingRow


def new_public_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """INSERT that understands ON CONFLICT on both backends."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def apply_decisions(
    session: Session,
    decisions: Sequence[Decision],
    now: datetime,
    redecide: Redecide | None = None,
    free_keys: Set[str] = frozenset(),
) -> list[int]:
    """Apply every decision; return the ids of items created or changed, in order.

    With `redecide`, a new item is judged again if concurrent writers took one of its keys.
    `free_keys`: keys no item held when read earlier in this transaction (see bulk.py).
    """
    raw = Raw.of(session)
    lock_keys(session, new_item_keys(decisions))
    stored = read_sightings(raw, [pair_of(d.item) for d in decisions])
    fresh = fresh_new_items(raw, decisions, stored, free_keys)
    created = create_items(raw, fresh, now, new_public_id)
    for new in fresh:
        stored.pop(pair_of(new.item), None)
    named = [d.item_id for d in decisions if not isinstance(d, NewItem)]
    careful = Careful(raw, now, stored, new_public_id, named)
    changed: list[int] = []
    touched: set[int] = set()  # items a regroup changed beside the decision's own
    for decision in decisions:
        item_id = created.get(id(decision))
        if item_id is None:
            final = recheck(session, decision, redecide)
            if isinstance(final, Regroup):
                item_id, moved = regroup(careful, final)
                touched.update(moved)
            else:
                item_id = careful.apply(final)
        if item_id is not None and item_id not in changed:
            changed.append(item_id)
    changed += sorted(touched.difference(changed))
    raw.flush()
    return changed


def add_keys(session: Session, item_id: int, keys: Sequence[str]) -> None:
    rows = [{"key": key, "item_id": item_id} for key in sorted(set(keys))]
    if rows:
        insert_keys = dialect_insert(session, ItemKeyRow).on_conflict_do_nothing()
        session.connection().execute(insert_keys, rows)  # executemany, compiled once


def copy_representative(item: ItemRow, sighting: SightingRow | Item, sighting_id: int) -> None:
    """Make the sighting (a stored row or the incoming Item) what subscribers see."""
    for name in REPRESENTATIVE_FIELDS:
        setattr(item, name, getattr(sighting, name))
    item.representative_id = sighting_id
