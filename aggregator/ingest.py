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
    keys: Sequence[tuple[str, ...]] | None = None,
) -> IngestCounts:
    """Decide and store every item; one transaction per batch of mutually independent items.

    `keys`, when given, are dedupe.lookup_keys of `items`, computed elsewhere (a worker).
    """

    def redecide(item: Item, candidates: Sequence[Candidate]) -> Decision:
        return decide(item, candidates, source_rank=source_rank)

    if not items:
        return IngestCounts()
    all_keys = list(keys) if keys is not None else [lookup_keys(item) for item in items]
    index = storage.candidate_index([key for each in all_keys for key in each])
    pending: list[Decision] = []
    pending_keys: set[str] = set()
    stored_keys: set[str] = set()  # keys of what this call stored: the index is stale there
    touched: set[int] = set()
    decided: list[Decision] = []
    for item, item_keys in zip(items, all_keys, strict=True):
        if pending_keys.intersection(item_keys):
            touched.update(storage.apply(pending, now=now, redecide=redecide))
            stored_keys |= pending_keys
            pending, pending_keys = [], set()
        candidates = index.for_keys(item_keys)
        if stored_keys.intersection(item_keys) or any(c.item_id in touched for c in candidates):
            candidates = storage.candidates(item_keys)
        decision = judge(item, item_keys, candidates, source_rank)
        pending.append(decision)
        pending_keys.update(item_keys)
        decided.append(decision)
    if pending:
        storage.apply(pending, now=now, redecide=redecide)
    return count(decided)


def judge(
    item: Item,
    keys: tuple[str, ...],
    candidates: Sequence[Candidate],
    source_rank: Callable[[str], int] | None,
) -> Decision:
    """dedupe.decide, short-cut when nothing stored shares a key: a new item, as decide says."""
    if not candidates:
        return NewItem(item, keys)
    return decide(item, candidates, source_rank=source_rank)
