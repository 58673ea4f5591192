"""Dedupe + store: turn one source's items into decisions and apply them in batches.

Decisions are pure (aggregator.dedupe); this module only feeds them candidates from the store
and makes sure two items of the same batch that match each other are not both created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.dedupe import decide, lookup_keys
from aggregator.models import AddSighting, Candidate, Decision, Item, NewItem, UpdateSighting
from aggregator.store import Storage


@dataclass(frozen=True)
class IngestCounts:
    new: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.merged)


def count(decisions: Sequence[Decision]) -> IngestCounts:
    new = sum(isinstance(d, NewItem) for d in decisions)
    merged = sum(isinstance(d, AddSighting) for d in decisions)
    updated = sum(isinstance(d, UpdateSighting) and d.content_changed for d in decisions)
    unchanged = len(decisions) - new - merged - updated
    return IngestCounts(new=new, updated=updated, merged=merged, unchanged=unchanged)


def ingest(
    storage: Storage,
    items: Sequence[Item],
    *,
    now: datetime,
    source_rank: Callable[[str], int] | None = None,
) -> IngestCounts:
    """Decide and store every item; one transaction per batch of mutually independent items."""

    def redecide(item: Item, candidates: Sequence[Candidate]) -> Decision:
        return decide(item, candidates, source_rank=source_rank)

    pending: list[Decision] = []
    pending_keys: set[str] = set()
    decided: list[Decision] = []
    for item in items:
        keys = lookup_keys(item)
        if pending_keys.intersection(keys):
            storage.apply(pending, now=now, redecide=redecide)
            pending, pending_keys = [], set()
        decision = decide(item, storage.candidates(keys), source_rank=source_rank)
        pending.append(decision)
        pending_keys.update(keys)
        decided.append(decision)
    if pending:
        storage.apply(pending, now=now, redecide=redecide)
    return count(decided)
