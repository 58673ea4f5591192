"""Candidates for a whole batch of items in one read: a few queries per source, not per item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.models import Candidate
from aggregator.store.queries import _item_rows, chunks, sighting_rows, to_candidate
from aggregator.store.schema import ItemKeyRow


class CandidateIndex:
    """Which stored items share which lookup key, with those items as candidates."""

    def __init__(self, holders: dict[str, set[int]], candidates: dict[int, Candidate]) -> None:
        self._holders = holders
        self._candidates = candidates

    def for_keys(self, keys: Sequence[str]) -> list[Candidate]:
        """What `find_candidates(keys)` would return: items sharing any key, by item id."""
        ids: set[int] = set()
        for key in keys:
            ids.update(self._holders.get(key, ()))
        return [self._candidates[i] for i in sorted(ids) if i in self._candidates]


def candidate_index(session: Session, keys: Sequence[str]) -> CandidateIndex:
    holders: dict[str, set[int]] = defaultdict(set)
    for part in chunks(sorted(set(keys))):
        query = select(ItemKeyRow.key, ItemKeyRow.item_id).where(ItemKeyRow.key.in_(part))
        for key, item_id in session.execute(query):
            holders[key].add(item_id)
    ordered = sorted({i for ids in holders.values() for i in ids})
    rows = {row.id: row for row in _item_rows(session, ordered)}
    sightings = sighting_rows(session, ordered)
    candidates = {i: to_candidate(rows[i], sightings.get(i, [])) for i in ordered if i in rows}
    return CandidateIndex(dict(holders), candidates)
