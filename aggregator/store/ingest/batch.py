"""Candidates for a whole batch of items in one read: a few queries per source, not per item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from aggregator.models import Candidate
from aggregator.store.rawsql import Raw, table_of
from aggregator.store.schema import ItemRow

_ITEMS = table_of(ItemRow)
_CANDIDATE_COLUMNS = ("id", "title", "summary", "published", "source_id", "deleted")
_HOLDERS = 'SELECT "key", item_id FROM item_keys WHERE'
_ITEM_ROWS = f"SELECT {', '.join(_CANDIDATE_COLUMNS)} FROM items WHERE"
_SIGHTINGS = (
    "SELECT item_id, source_id, source_key, canonical_url, content_hash FROM sightings WHERE"
)


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


def key_holders(raw: Raw, keys: Sequence[str]) -> list[Any]:
    """(key, item_id) of every stored key among `keys`."""
    return raw.select_in(_HOLDERS, '"key"', sorted(set(keys)), "text")


def candidate_index(session: Session, keys: Sequence[str]) -> CandidateIndex:
    raw = Raw.of(session)
    holders: dict[str, set[int]] = defaultdict(set)
    for key, item_id in key_holders(raw, keys):
        holders[key].add(item_id)
    ordered = sorted({i for ids in holders.values() for i in ids})
    return CandidateIndex(dict(holders), read_candidates(raw, ordered))


def find_candidates(session: Session, keys: Sequence[str]) -> list[Candidate]:
    """Items sharing any of `keys` (tombstones included), by item id."""
    raw = Raw.of(session)
    ordered = sorted({item_id for _, item_id in key_holders(raw, keys)})
    return list(read_candidates(raw, ordered).values())


def read_candidates(raw: Raw, item_ids: Sequence[int]) -> dict[int, Candidate]:
    """The items (those that exist) with their sightings, oldest first, by item id."""
    if not item_ids:
        return {}
    found = raw.select_in(_ITEM_ROWS, "id", item_ids, "int")
    rows = {values[0]: values for values in raw.read(_ITEMS, _CANDIDATE_COLUMNS, found)}
    sightings: dict[int, list[Any]] = defaultdict(list)
    tail = "ORDER BY first_seen, id"
    for sighting in raw.select_in(_SIGHTINGS, "item_id", item_ids, "int", tail):
        sightings[sighting[0]].append(sighting)
    return {i: _candidate(rows[i], sightings.get(i, [])) for i in item_ids if i in rows}


def _candidate(row: list[Any], sightings: Sequence[Any]) -> Candidate:
    item_id, title, summary, published, source_id, deleted = row
    return Candidate(
        item_id=item_id,
        title=title,
        summary=summary,
        published=published,
        canonical_urls=tuple(s[3] for s in sightings if s[3]),
        source_keys=tuple((s[1], s[2]) for s in sightings),
        sighting_hashes={(s[1], s[2]): s[4] for s in sightings},
        representative_source=source_id,
        deleted=deleted,
    )
