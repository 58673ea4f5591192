"""Applying dedupe's Regroup: the sightings of a few items, and a new one, grouped anew.

Each group goes to the item that already holds most of its sightings (the lowest id on a tie),
so ids that subscribers have seen stay where the story stays; a group with no item left gets a
new one. An item left without sightings becomes an alias of where they went (deleted,
merged_into), as a curator's merge leaves it. Every touched item's keys are its sightings' keys
again, and an item whose representative moved away shows its earliest sighting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from aggregator.models import Item, Regroup
from aggregator.store.ingest.careful import (
    INGEST_ACTOR,
    REPRESENTATIVE_FIELDS,
    Careful,
    Pair,
    Row,
    pair_of,
    read_sightings,
)
from aggregator.store.rawsql import Raw, table_of
from aggregator.store.schema import AuditRow, ItemKeyRow, ItemRow

_ITEMS, _KEYS, _AUDIT = table_of(ItemRow), table_of(ItemKeyRow), table_of(AuditRow)
_AUDIT_COLUMNS = ("item_id", "action", "detail", "actor", "at")

# (item, keys) -> id of the item created for the new sighting; (item id, item, keys) -> None
CreateItem = Callable[[Any, Sequence[str]], int | None]
AddSighting = Callable[[int, Any, Sequence[str]], None]


def regroup(careful: Careful, decision: Regroup) -> tuple[int | None, list[int]]:
    """Apply a Regroup through `careful`'s writes; (the new sighting's item, items touched)."""
    existing = careful.sighting(pair_of(decision.item))
    if existing is not None:  # stored meanwhile (a concurrent writer): an update after all
        return careful.update_sighting(existing, decision.item, decision.keys), []

    def add(item_id: int, item: Item, keys: Sequence[str]) -> None:
        assert careful.insert_sighting(item_id, item, keys) is not None

    touched = apply_regroup(
        careful.raw, decision, careful.now, careful.create_item, add, careful.new_public_id
    )
    careful.forget([pair for group in decision.groups for pair in group], touched)
    return touched[0], touched


def apply_regroup(
    raw: Raw,
    decision: Regroup,
    now: datetime,
    create_item: CreateItem,
    add_sighting: AddSighting,
    new_public_id: Callable[[], str],
) -> list[int]:
    """Regroup; return every item touched (the new sighting's first)."""
    mine = pair_of(decision.item)
    stored = {p: r for p, r in read_sightings(raw, _others(decision, mine)).items() if r}
    targets = group_targets(decision.groups, {p: row["item_id"] for p, row in stored.items()})
    home = _place_new(decision, mine, targets, create_item, add_sighting)
    stored.update({p: r for p, r in read_sightings(raw, [mine]).items() if r})
    went: dict[int, Counter[int]] = {}  # old item -> where its sightings went
    for group in decision.groups:
        target = targets.get(group) or _new_item(raw, group, stored, now, new_public_id)
        targets[group] = target
        for pair in group:
            old = stored[pair]["item_id"]
            went.setdefault(old, Counter())[target] += 1
            if old != target:
                raw.execute(_MOVE.format(mark=raw.mark), [target, stored[pair]["id"]])
                stored[pair]["item_id"] = target
    touched = sorted({*decision.items, *targets.values()})
    for item_id in touched:
        held = [r for r in stored.values() if r["item_id"] == item_id]
        alias = went[item_id].most_common(1)[0][0] if not held and item_id in went else None
        _settle(raw, item_id, held, alias, now)
    return [home, *(i for i in touched if i != home)]


_MOVE = "UPDATE sightings SET item_id = {mark} WHERE id = {mark}"


def _others(decision: Regroup, mine: Pair) -> list[Pair]:
    return [pair for group in decision.groups for pair in group if pair != mine]


def group_targets(
    groups: Sequence[tuple[Pair, ...]], owner: Mapping[Pair, int]
) -> dict[tuple[Pair, ...], int]:
    """group -> the item holding most of its sightings now (`owner`: sighting -> item), each
    item given to one group at most, the largest groups first; a group left out needs a new
    item."""
    taken: set[int] = set()
    found: dict[tuple[Pair, ...], int] = {}
    for group in sorted(groups, key=lambda g: (-len(g), sorted(g))):
        held = Counter(owner[p] for p in group if p in owner)
        choices = sorted((-n, i) for i, n in held.items() if i not in taken)
        if choices:
            found[group] = choices[0][1]
            taken.add(choices[0][1])
    return found


def _place_new(
    decision: Regroup,
    mine: Pair,
    targets: dict[tuple[Pair, ...], int],
    create_item: CreateItem,
    add_sighting: AddSighting,
) -> int:
    """Store the incoming sighting in its group's item, or in a new item of its own."""
    group = next(g for g in decision.groups if mine in g)
    target = targets.get(group)
    if target is None:
        created = create_item(decision.item, decision.keys)
        assert created is not None
        targets[group] = created
        return created
    add_sighting(target, decision.item, decision.keys)
    return target


def _new_item(
    raw: Raw,
    group: tuple[Pair, ...],
    stored: dict[Pair, Row],
    now: datetime,
    new_public_id: Callable[[], str],
) -> int:
    shown = _representative([stored[p] for p in group])
    values = {"public_id": new_public_id(), "created_at": now, "representative_id": shown["id"]}
    values |= {"pinned": False, "hidden": False, "deleted": False}
    values |= {name: shown[name] for name in REPRESENTATIVE_FIELDS}
    item_id = raw.insert_returning_id(_ITEMS, values)
    assert item_id is not None
    return item_id


def _settle(raw: Raw, item_id: int, sightings: list[Row], alias: int | None, now: datetime) -> None:
    """The item's keys are its sightings' keys; it shows one of its own sightings, or none."""
    raw.execute(f"DELETE FROM item_keys WHERE item_id = {raw.mark}", [item_id])
    keys = sorted({key for row in sightings for key in row["lookup_keys"]})
    raw.insert(
        _KEYS, ("key", "item_id"), [(key, item_id) for key in keys], "ON CONFLICT DO NOTHING"
    )
    representative_id = raw.rows(
        f"SELECT representative_id FROM items WHERE id = {raw.mark}", [item_id]
    )
    current = representative_id[0][0] if representative_id else None
    if not sightings:
        values = {"deleted": True, "merged_into": alias, "representative_id": None}
        raw.update(_ITEMS, item_id, values)
        detail = f"its sightings were grouped into item {alias}"
    elif current not in {row["id"] for row in sightings}:
        shown = _representative(sightings)
        values = {name: shown[name] for name in REPRESENTATIVE_FIELDS}
        raw.update(_ITEMS, item_id, values | {"representative_id": shown["id"]})
        detail = f"now {len(sightings)} sighting(s); shows {shown['source_id']}"
    else:
        detail = f"now {len(sightings)} sighting(s)"
    raw.insert(_AUDIT, _AUDIT_COLUMNS, [[item_id, "regroup", detail, INGEST_ACTOR, now]])


def _representative(sightings: Sequence[Row]) -> Row:
    return min(sightings, key=lambda r: (r["published"], r["source_id"], r["source_key"]))
