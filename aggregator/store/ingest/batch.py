"""Candidates for a whole batch of items in one read: a few queries per source, not per item.

Work per item is bounded whatever the content: for each lookup key at most the BLOCK_LIMIT
newest holders are read, and a blocking key held by more items than that in its window (a title
every board uses, a band of common words) stops being a blocking key, as record linkage treats
oversized blocks. Identity keys (the source's own key, a canonical URL) always count. What is
compared comes precomputed: each sighting's stored signature.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from aggregator.dedupe.decide import BLOCK_LIMIT, is_identity_key
from aggregator.models import Candidate, StoredSighting
from aggregator.store.rawsql import Raw, table_of
from aggregator.store.schema import ItemRow, SightingRow

_ITEMS = table_of(ItemRow)
_SIGHTING_TABLE = table_of(SightingRow)
_CANDIDATE_COLUMNS = (
    "id", "title", "summary", "published", "source_id", "deleted", "grouped_by_hand",
)  # fmt: skip
_NEWEST_HOLDERS = (
    'SELECT "key", item_id FROM (SELECT "key", item_id, ROW_NUMBER() OVER '
    '(PARTITION BY "key" ORDER BY item_id DESC) AS n FROM item_keys WHERE'
)
_AT_MOST = f") AS holders WHERE n <= {BLOCK_LIMIT + 1}"
_ITEM_ROWS = f"SELECT {', '.join(_CANDIDATE_COLUMNS)} FROM items WHERE"
_SIGHTINGS = (
    "SELECT item_id, source_id, source_key, canonical_url, content_hash, published, signature, "
    "CASE WHEN signature IS NULL THEN title ELSE '' END, "
    "CASE WHEN signature IS NULL THEN summary ELSE '' END FROM sightings WHERE"
)
_SIGHTING_COLUMNS = (
    "item_id", "source_id", "source_key", "canonical_url", "content_hash", "published",
    "signature", "title", "summary",
)  # fmt: skip


class CandidateIndex:
    """Which stored items share which lookup key, with those items as candidates."""

    def __init__(self, holders: dict[str, set[int]], candidates: dict[int, Candidate]) -> None:
        self._holders = holders
        self._candidates = candidates

    def for_keys(self, keys: Sequence[str]) -> list[Candidate]:
        """What `find_candidates(keys)` would return: items sharing any key, by item id."""
        if self._holders.keys().isdisjoint(keys):  # most items of a poll: nothing stored
            return []
        ids: set[int] = set()
        for key in keys:
            ids.update(self._holders.get(key, ()))
        return [self._candidates[i] for i in sorted(ids) if i in self._candidates]


def key_holders(raw: Raw, keys: Sequence[str]) -> dict[str, set[int]]:
    """key -> the items a lookup reads for it: at most BLOCK_LIMIT, the newest; none for an
    oversized blocking key."""
    found: dict[str, set[int]] = defaultdict(set)
    rows = raw.select_in(_NEWEST_HOLDERS, '"key"', sorted(set(keys)), "text", _AT_MOST)
    for key, item_id in rows:
        found[key].add(item_id)
    return {
        key: ids if len(ids) <= BLOCK_LIMIT else set(sorted(ids)[-BLOCK_LIMIT:])
        for key, ids in found.items()
        if len(ids) <= BLOCK_LIMIT or is_identity_key(key)
    }


def candidate_index(session: Session, keys: Sequence[str]) -> CandidateIndex:
    raw = Raw.of(session)
    holders = key_holders(raw, keys)
    ordered = sorted({i for ids in holders.values() for i in ids})
    return CandidateIndex(holders, read_candidates(raw, ordered))


def find_candidates(session: Session, keys: Sequence[str]) -> list[Candidate]:
    """Items sharing any of `keys` (tombstones included), by item id."""
    raw = Raw.of(session)
    ordered = sorted({i for ids in key_holders(raw, keys).values() for i in ids})
    return list(read_candidates(raw, ordered).values())


def read_candidates(raw: Raw, item_ids: Sequence[int]) -> dict[int, Candidate]:
    """The items (those that exist) with their sightings, oldest first, by item id."""
    if not item_ids:
        return {}
    found = raw.select_in(_ITEM_ROWS, "id", item_ids, "int")
    rows = {values[0]: values for values in raw.read(_ITEMS, _CANDIDATE_COLUMNS, found)}
    sightings: dict[int, list[Any]] = defaultdict(list)
    tail = "ORDER BY first_seen, id"
    found = raw.select_in(_SIGHTINGS, "item_id", item_ids, "int", tail)
    for sighting in raw.read(_SIGHTING_TABLE, _SIGHTING_COLUMNS, found):
        sightings[sighting[0]].append(sighting)
    return {i: _candidate(rows[i], sightings.get(i, [])) for i in item_ids if i in rows}


def _candidate(row: list[Any], sightings: Sequence[Any]) -> Candidate:
    item_id, title, summary, published, source_id, deleted, by_hand = row
    return Candidate(
        item_id=item_id,
        title=title,
        summary=summary,
        published=published,
        representative_source=source_id,
        sightings=tuple(StoredSighting(*s[1:]) for s in sightings),
        deleted=deleted,
        grouped_by_hand=by_hand,
    )
