"""The careful way of applying one decision: every case bulk.py does not take.

A sighting is found by (source_id, source_key) before anything else, so that a decision
made from stale candidates (a concurrent worker, a curator's split) lands on the item
the sighting really belongs to and never creates a second one.

Sightings and items are read for the whole batch at once; whatever this batch then writes is
forgotten and read again if asked for, so each decision sees what the ones before it did.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from aggregator.models import AddSighting, Item, NewItem, UpdateSighting
from aggregator.store.rawsql import Raw, table_of
from aggregator.store.schema import AuditRow, ItemKeyRow, ItemRow, SightingRow

INGEST_ACTOR = "ingest"
REPRESENTATIVE_FIELDS = (
    "title",
    "url",
    "canonical_url",
    "summary",
    "content_html",
    "published",
    "updated",
    "author",
    "event_date",
    "category",
    "review_type",
    "source_id",
    "themes",
    "joint_types",
)
# Found from the text by code that may change: refreshed without showing an update.
DERIVED_FIELDS = ("themes", "joint_types")
# A sighting's own values (lookup_keys aside): what an item shows, and what only it knows.
VALUE_FIELDS = (
    *REPRESENTATIVE_FIELDS,
    "source_key",
    "source_categories",
    "content_hash",
    "signature",
)
_SIGHTING_COLUMNS = ("id", "item_id", "lookup_keys", *VALUE_FIELDS)
_SIGHTINGS_OF = f"SELECT {', '.join(_SIGHTING_COLUMNS)} FROM sightings WHERE source_id = "
_ITEMS_OF = "SELECT id, representative_id FROM items WHERE"
_ON_PAIR = "ON CONFLICT (source_id, source_key) DO NOTHING"
_ITEMS, _SIGHTINGS, _KEYS = table_of(ItemRow), table_of(SightingRow), table_of(ItemKeyRow)
_AUDIT = table_of(AuditRow)
_AUDIT_COLUMNS = ("item_id", "action", "detail", "actor", "at")

Pair = tuple[str, str]
Row = dict[str, Any]
NewPublicId = Callable[[], str]


def pair_of(item: Item) -> Pair:
    return (item.source_id, item.source_key)


def read_sightings(raw: Raw, pairs: Iterable[Pair]) -> dict[Pair, Row | None]:
    """The stored sighting of each pair (None: none), as the ORM would read it."""
    by_source: dict[str, set[str]] = defaultdict(set)
    for source_id, source_key in pairs:
        by_source[source_id].add(source_key)
    found: dict[Pair, Row | None] = {}
    for source_id, source_keys in sorted(by_source.items()):
        found.update({(source_id, key): None for key in source_keys})
        sql = _SIGHTINGS_OF + raw.mark + " AND"
        for condition, params in raw.where_in("source_key", sorted(source_keys), "text"):
            rows = raw.rows(f"{sql} {condition}", [source_id, *params])
            for values in raw.read(_SIGHTINGS, _SIGHTING_COLUMNS, rows):
                row = dict(zip(_SIGHTING_COLUMNS, values, strict=True))
                found[(source_id, row["source_key"])] = row
    return found


def sighting_values(item: Item, keys: Sequence[str]) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in VALUE_FIELDS}
    values["source_categories"] = list(item.source_categories)  # a JSON list
    values["themes"] = list(item.themes)
    values["joint_types"] = list(item.joint_types)
    values["lookup_keys"] = sorted(set(keys))
    return values


def content_changed(sighting: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """The content hash decides; without hashes, every stored field is compared."""
    if sighting["content_hash"] or values["content_hash"]:
        return bool(sighting["content_hash"] != values["content_hash"])
    compared = (name for name in values if name not in ("lookup_keys", *DERIVED_FIELDS))
    return any(sighting[name] != values[name] for name in compared)


class Careful:
    """Applies decisions one at a time; `sightings` are those read for the batch already."""

    def __init__(
        self,
        raw: Raw,
        now: datetime,
        sightings: dict[Pair, Row | None],
        new_public_id: NewPublicId,
        item_ids: Iterable[int] = (),
    ) -> None:
        """`item_ids`: the items the decisions name, read with the sightings' at the first need."""
        self.raw, self.now, self.new_public_id = raw, now, new_public_id
        self._sightings = sightings
        self._named = set(item_ids)
        self._representatives: dict[int, int | None] | None = None  # item id -> its sighting

    def apply(self, decision: NewItem | UpdateSighting | AddSighting) -> int | None:
        existing = self.sighting(pair_of(decision.item))
        if existing is not None:
            return self.update_sighting(existing, decision.item, decision.keys)
        if isinstance(decision, NewItem) or not self._item_exists(decision.item_id):
            return self.create_item(decision.item, decision.keys)
        reason = decision.reason if isinstance(decision, AddSighting) else "sighting was missing"
        promote = isinstance(decision, AddSighting) and decision.make_representative
        return self.add_sighting(decision.item_id, decision, reason, promote)

    def update_sighting(self, sighting: Row, item: Item, keys: Sequence[str]) -> int | None:
        """Refresh a known sighting; copy it onto its item when it is the representative."""
        changes: dict[str, Any] = {"last_seen": self.now}
        if not set(keys) <= set(sighting["lookup_keys"]):  # a sighting's keys are item_keys
            self.add_keys(sighting["item_id"], keys)
            changes["lookup_keys"] = sorted(set(sighting["lookup_keys"]) | set(keys))
        values = sighting_values(item, keys)
        changed = content_changed(sighting, values)
        # derived fields are not content (the hash leaves them out): new heuristics or rules
        # change them without showing the item as updated
        retheme = not changed and any(sighting[n] != values[n] for n in DERIVED_FIELDS)
        if retheme:
            changes |= {name: values[name] for name in DERIVED_FIELDS}
        if changed:
            del values["lookup_keys"]
            if item.provisional_date:  # the date is "when first seen": that was the first poll
                values["published"] = sighting["published"]
                values["updated"] = max(item.updated, sighting["published"])
            if values["updated"] <= sighting["updated"]:
                values["updated"] = self.now  # changed without a newer date: show an update
            changes |= values
        self.raw.update(_SIGHTINGS, sighting["id"], changes)
        self._sightings.pop(pair_of(item), None)
        if not (changed or retheme):
            return None
        owner = sighting["item_id"]
        if self._representative(owner) == sighting["id"]:  # a tombstone stays deleted
            shown = {name: (sighting | changes)[name] for name in REPRESENTATIVE_FIELDS}
            self._update_item(owner, shown | {"representative_id": sighting["id"]})
        return int(owner)

    def create_item(self, item: Item, keys: Sequence[str]) -> int | None:
        values = {"public_id": self.new_public_id(), "created_at": self.now}
        values |= {"pinned": False, "hidden": False, "deleted": False}
        values |= {name: getattr(item, name) for name in REPRESENTATIVE_FIELDS}
        item_id = self.raw.insert_returning_id(_ITEMS, values | {"representative_id": 0})
        assert item_id is not None
        sighting_id = self.insert_sighting(item_id, item, keys)
        if sighting_id is None:  # lost the race: the other writer's sighting (and item) wins
            self.raw.delete(_ITEMS, item_id)
            self._forget_item(item_id)
            existing = self.sighting(pair_of(item))
            assert existing is not None, "ON CONFLICT without a conflicting row"
            return self.update_sighting(existing, item, keys)
        self._update_item(item_id, {"representative_id": sighting_id})
        self.add_keys(item_id, keys)
        return item_id

    def add_sighting(
        self,
        item_id: int,
        decision: AddSighting | UpdateSighting,
        reason: str,
        promote: bool,
    ) -> int | None:
        item = decision.item
        sighting_id = self.insert_sighting(item_id, item, decision.keys)
        if sighting_id is None:  # a concurrent writer stored it meanwhile
            existing = self.sighting(pair_of(item))
            assert existing is not None, "ON CONFLICT without a conflicting row"
            return self.update_sighting(existing, item, decision.keys)
        self.add_keys(item_id, decision.keys)
        assert self._item_exists(item_id)
        if promote:
            shown = {name: getattr(item, name) for name in REPRESENTATIVE_FIELDS}
            self._update_item(item_id, shown | {"representative_id": sighting_id})
        where = f"{item.source_id}:{item.source_key}"
        audit = [item_id, "add-sighting", f"{where} {reason}".strip(), INGEST_ACTOR, self.now]
        self.raw.insert(_AUDIT, _AUDIT_COLUMNS, [audit])
        return item_id

    def add_keys(self, item_id: int, keys: Sequence[str]) -> None:
        rows = [(key, item_id) for key in sorted(set(keys))]
        self.raw.insert(_KEYS, ("key", "item_id"), rows, "ON CONFLICT DO NOTHING")

    def insert_sighting(self, item_id: int, item: Item, keys: Sequence[str]) -> int | None:
        """Insert a sighting, return its id; None when a concurrent writer inserted it first."""
        values = sighting_values(item, keys)
        values |= {"item_id": item_id, "first_seen": self.now, "last_seen": self.now}
        self._sightings.pop(pair_of(item), None)
        return self.raw.insert_returning_id(_SIGHTINGS, values, _ON_PAIR)

    def forget(self, pairs: Iterable[Pair], item_ids: Iterable[int]) -> None:
        """Sightings and items changed behind this object's back (a regroup)."""
        for pair in pairs:
            self._sightings.pop(pair, None)
        for item_id in item_ids:
            self._forget_item(item_id)

    def sighting(self, pair: Pair) -> Row | None:
        if pair not in self._sightings:
            self._sightings.update(read_sightings(self.raw, [pair]))
        return self._sightings[pair]

    def _item_exists(self, item_id: int) -> bool:
        self._representative(item_id)
        assert self._representatives is not None
        return item_id in self._representatives

    def _representative(self, item_id: int) -> int | None:
        """The item's representative sighting id (None also when there is no such item)."""
        if self._representatives is None:  # first need: every item the batch may touch
            wanted = {row["item_id"] for row in self._sightings.values() if row is not None}
            self._representatives = self._read_items(wanted | self._named | {item_id})
        elif item_id not in self._representatives:
            self._representatives.update(self._read_items({item_id}))
        return self._representatives.get(item_id)

    def _read_items(self, item_ids: set[int]) -> dict[int, int | None]:
        rows = self.raw.select_in(_ITEMS_OF, "id", sorted(item_ids), "int")
        return {row[0]: row[1] for row in rows}

    def _update_item(self, item_id: int, values: Mapping[str, Any]) -> None:
        self.raw.update(_ITEMS, item_id, values)
        self._forget_item(item_id)

    def _forget_item(self, item_id: int) -> None:
        if self._representatives is not None:
            self._representatives.pop(item_id, None)
