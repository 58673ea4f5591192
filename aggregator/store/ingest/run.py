"""Dedupe + store: turn sources' items into decisions and apply them, one transaction per call.

Decisions are pure (aggregator.dedupe.decide); this module only feeds them candidates from the store
and makes sure two items of the same batch that match each other are not both created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.dedupe.decide import decide, lookup_keys
from aggregator.models import (
    AddSighting,
    Candidate,
    Decision,
    Item,
    NewItem,
    SourceState,
    UpdateSighting,
)
from aggregator.store import Storage
from aggregator.store.ingest.transaction import Transaction

Ranker = Callable[[str], int]


@dataclass(frozen=True)
class IngestCounts:
    new: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class SourceItems:
    """One source's polled items; `keys`, when given, are their dedupe.lookup_keys."""

    items: Sequence[Item]
    now: datetime
    keys: Sequence[tuple[str, ...]] | None = None


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
    source_rank: Ranker | None = None,
    keys: Sequence[tuple[str, ...]] | None = None,
    states: Sequence[SourceState] = (),
) -> IngestCounts:
    """Decide and store every item, and save `states`, in one transaction.

    `keys`, when given, are dedupe.lookup_keys of `items`, computed elsewhere (a worker).
    `states` (sources' polling states, e.g. this source's after the poll) commit with the items.
    """
    batch = SourceItems(items, now, keys)
    return ingest_many(storage, [batch], source_rank=source_rank, states=states)[0]


def ingest_many(
    storage: Storage,
    batches: Sequence[SourceItems],
    *,
    source_rank: Ranker | None = None,
    states: Sequence[SourceState] = (),
) -> list[IngestCounts]:
    """Ingest several sources' items, in order, then save `states`: one transaction, one commit.

    The outcome is what calling `ingest` for each batch in turn would store; only the commits
    are shared (a failure stores none of them).
    """
    if not states and not any(batch.items for batch in batches):
        return [IngestCounts() for _ in batches]
    keyed = [with_keys(batch) for batch in batches]
    every_key = sorted({key for batch in keyed for keys in batch.keys or () for key in keys})

    def work(tx: Transaction) -> list[IngestCounts]:
        tx.lock_keys(every_key)  # all at once: ingesters never wait on each other in a cycle
        counts = [ingest_into(tx, batch, source_rank) for batch in keyed]
        tx.save_source_states(states)
        return counts

    return storage.write(work)


def with_keys(batch: SourceItems) -> SourceItems:
    if batch.keys is not None:
        return batch
    return SourceItems(batch.items, batch.now, [lookup_keys(item) for item in batch.items])


def ingest_into(tx: Transaction, batch: SourceItems, source_rank: Ranker | None) -> IngestCounts:
    """One source's items in an open transaction; batches of mutually independent items."""

    items, now = batch.items, batch.now
    if not items:
        return IngestCounts()
    all_keys = list(with_keys(batch).keys or ())

    def redecide(item: Item, candidates: Sequence[Candidate], *, keys: tuple[str, ...]) -> Decision:
        return decide(item, candidates, source_rank=source_rank, keys=keys)

    index = tx.candidate_index([key for each in all_keys for key in each])
    pending: list[Decision] = []
    pending_keys: set[str] = set()
    free_keys: set[str] = set()  # of pending items with no candidate: no item held them
    stored_keys: set[str] = set()  # keys of what this call stored: the index is stale there
    touched: set[int] = set()
    decided: list[Decision] = []
    for item, item_keys in zip(items, all_keys, strict=True):
        if pending_keys.intersection(item_keys):
            touched.update(tx.apply(pending, now=now, redecide=redecide, free_keys=free_keys))
            stored_keys |= pending_keys
            pending, pending_keys, free_keys = [], set(), set()
        candidates = index.for_keys(item_keys)
        if stored_keys.intersection(item_keys) or any(c.item_id in touched for c in candidates):
            candidates = tx.candidates(item_keys)
        if not candidates:
            free_keys.update(item_keys)
        decision = judge(item, item_keys, candidates, source_rank)
        pending.append(decision)
        pending_keys.update(item_keys)
        decided.append(decision)
    if pending:
        tx.apply(pending, now=now, redecide=redecide, free_keys=free_keys)
    return count(decided)


def judge(
    item: Item,
    keys: tuple[str, ...],
    candidates: Sequence[Candidate],
    source_rank: Ranker | None,
) -> Decision:
    """dedupe.decide, short-cut when nothing stored shares a key: a new item."""
    if not candidates:
        return NewItem(item, keys)
    return decide(item, candidates, source_rank=source_rank, keys=keys)
