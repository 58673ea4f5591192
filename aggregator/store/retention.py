"""Retention: a source keeps at most so many items, none older than so long.

Mixed into the Storage facade. Pruned items become tombstones (deleted, keys and sightings
kept), exactly like a curator's delete, so a feed that still lists them never brings them
back. An item another source also announced is never pruned on this source's account, nor
is a pinned one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session, aliased

from aggregator.store import curation
from aggregator.store.changes import note_change
from aggregator.store.engine import run_write
from aggregator.store.schema import ItemRow, SightingRow

RETENTION_ACTOR = "retention"


@dataclass(frozen=True)
class Held:
    """One live item a source announced, as retention judges it."""

    item_id: int
    published: datetime
    exclusive: bool  # every sighting is from this source
    pinned: bool = False


def select_prunable(
    held: Sequence[Held], *, max_age: float | None, max_items: int | None, now: datetime
) -> list[int]:
    """Ids to prune: too old, or beyond the newest `max_items`; only exclusive, unpinned ones."""
    newest_first = sorted(held, key=lambda h: (h.published, h.item_id), reverse=True)
    cutoff = now - timedelta(seconds=max_age) if max_age is not None else None
    chosen = []
    for rank, item in enumerate(newest_first):
        too_many = max_items is not None and rank >= max_items
        too_old = cutoff is not None and item.published < cutoff
        if (too_many or too_old) and item.exclusive and not item.pinned:
            chosen.append(item.item_id)
    return sorted(chosen)


def held_by(session: Session, source_id: str) -> list[Held]:
    """Every live item with a sighting from `source_id`, and whether only that source has it."""
    other = aliased(SightingRow)
    shared = (
        select(other.id)
        .where(and_(other.item_id == ItemRow.id, other.source_id != source_id))
        .exists()
    )
    query = (
        select(ItemRow.id, ItemRow.published, ItemRow.pinned, shared)
        .join(SightingRow, SightingRow.item_id == ItemRow.id)
        .where(SightingRow.source_id == source_id, ItemRow.deleted.is_(False))
        .distinct()
    )
    return [
        Held(item_id, published, exclusive=not is_shared, pinned=pinned)
        for item_id, published, pinned, is_shared in session.execute(query)
    ]


class RetentionStore:
    """Storage method applying retention; needs `self.engine`."""

    engine: Engine

    def prune(
        self,
        source_id: str,
        *,
        max_age: float | None,
        max_items: int | None,
        now: datetime,
    ) -> int:
        """Tombstone the source's items past its limits; return how many were pruned."""
        if max_age is None and max_items is None:
            return 0

        def write(session: Session) -> int:
            held = held_by(session, source_id)
            doomed = select_prunable(held, max_age=max_age, max_items=max_items, now=now)
            for item_id in doomed:
                curation.delete_item(session, item_id, actor=RETENTION_ACTOR, now=now)
            if doomed:
                note_change(session)
            return len(doomed)

        return run_write(self.engine, f"pruning items of {source_id}", write)
