"""Write side of ingest: apply dedupe's decisions (dedupe decides, the store applies).

A sighting is found by (source_id, source_key) before anything else, so that a decision
made from stale candidates (a concurrent worker, a curator's split) lands on the item
the sighting really belongs to and never creates a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aggregator.models import AddSighting, Decision, Item, NewItem, UpdateSighting
from aggregator.store.bulk import create_items, fresh_new_items
from aggregator.store.keylock import Redecide, lock_keys, new_item_keys, recheck
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
)


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
) -> list[int]:
    """Apply every decision; return the ids of items created or changed, in order.

    With `redecide`, a new item is judged again if concurrent writers took one of its keys.
    """
    changed: list[int] = []
    lock_keys(session, new_item_keys(decisions))
    fresh = fresh_new_items(session, decisions)
    created = create_items(session, fresh, now, item_values, sighting_values, dialect_insert)
    for decision in decisions:
        item_id = created.get(id(decision))
        if item_id is None:
            item_id = apply_one(session, recheck(session, decision, redecide), now)
        if item_id is not None and item_id not in changed:
            changed.append(item_id)
    return changed


def item_values(item: Item, now: datetime) -> dict[str, Any]:
    """A new item's row, its representative being `item` (create_items sets the sighting id)."""
    shown = {name: getattr(item, name) for name in REPRESENTATIVE_FIELDS}
    flags = {"pinned": False, "hidden": False, "deleted": False}
    return shown | flags | {"public_id": new_public_id(), "created_at": now}


def apply_one(session: Session, decision: Decision, now: datetime) -> int | None:
    existing = find_sighting(session, decision.item)
    if existing is not None:
        return update_sighting(session, existing, decision.item, decision.keys, now)
    if isinstance(decision, NewItem) or session.get(ItemRow, decision.item_id) is None:
        return create_item(session, decision.item, decision.keys, now)
    reason = decision.reason if isinstance(decision, AddSighting) else "sighting was missing"
    promote = isinstance(decision, AddSighting) and decision.make_representative
    return add_sighting(session, decision.item_id, decision, reason, promote, now)


def find_sighting(session: Session, item: Item) -> SightingRow | None:
    query = select(SightingRow).where(
        SightingRow.source_id == item.source_id, SightingRow.source_key == item.source_key
    )
    return session.scalars(query).one_or_none()


def sighting_values(item: Item, keys: Sequence[str]) -> dict[str, Any]:
    return {
        "source_id": item.source_id,
        "source_key": item.source_key,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "title": item.title,
        "summary": item.summary,
        "content_html": item.content_html,
        "published": item.published,
        "updated": item.updated,
        "author": item.author,
        "event_date": item.event_date,
        "category": item.category,
        "review_type": item.review_type,
        "source_categories": list(item.source_categories),
        "content_hash": item.content_hash,
        "lookup_keys": sorted(set(keys)),
    }


def insert_sighting(
    session: Session, item_id: int, item: Item, keys: Sequence[str], now: datetime
) -> int | None:
    """Insert a sighting, return its id; None when a concurrent writer inserted it first."""
    values = sighting_values(item, keys) | {"item_id": item_id, "first_seen": now, "last_seen": now}
    statement = (
        dialect_insert(session, SightingRow)
        .on_conflict_do_nothing(index_elements=["source_id", "source_key"])
        .returning(SightingRow.id)
    )
    # Values as parameters (not .values()): the compiled statement is cached across rows.
    return session.connection().execute(statement, values).scalar_one_or_none()


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


def content_changed(sighting: SightingRow, values: dict[str, Any]) -> bool:
    """The content hash decides; without hashes, every stored field is compared."""
    if sighting.content_hash or values["content_hash"]:
        return bool(sighting.content_hash != values["content_hash"])
    compared = (name for name in values if name != "lookup_keys")
    return any(getattr(sighting, name) != values[name] for name in compared)


def create_item(session: Session, item: Item, keys: Sequence[str], now: datetime) -> int | None:
    row = ItemRow(public_id=new_public_id(), created_at=now, pinned=False, hidden=False)
    row.deleted = False
    copy_representative(row, item, 0)
    session.add(row)
    session.flush()
    sighting_id = insert_sighting(session, row.id, item, keys, now)
    if sighting_id is None:  # lost the race: the other writer's sighting (and item) wins
        session.delete(row)
        session.flush()
        existing = find_sighting(session, item)
        assert existing is not None, "ON CONFLICT without a conflicting row"
        return update_sighting(session, existing, item, keys, now)
    row.representative_id = sighting_id
    add_keys(session, row.id, keys)
    return row.id


def update_sighting(
    session: Session, sighting: SightingRow, item: Item, keys: Sequence[str], now: datetime
) -> int | None:
    """Refresh a known sighting; copy it onto its item when it is the representative."""
    sighting.last_seen = now
    if not set(keys) <= set(sighting.lookup_keys):  # a sighting's keys are all in item_keys
        add_keys(session, sighting.item_id, keys)
        sighting.lookup_keys = sorted(set(sighting.lookup_keys) | set(keys))
    values = sighting_values(item, keys)
    if not content_changed(sighting, values):
        return None
    del values["lookup_keys"]
    if item.provisional_date:  # the date is "when first seen": that was the first poll
        values["published"] = sighting.published
        values["updated"] = max(item.updated, sighting.published)
    if values["updated"] <= sighting.updated:
        values["updated"] = now  # changed without a newer date: subscribers must see an update
    for name, value in values.items():
        setattr(sighting, name, value)
    owner = session.get(ItemRow, sighting.item_id)
    if owner is not None and owner.representative_id == sighting.id:
        copy_representative(
            owner, sighting, sighting.id
        )  # a tombstone stays deleted: only fields change
    session.flush()
    return sighting.item_id


def add_sighting(
    session: Session,
    item_id: int,
    decision: AddSighting | UpdateSighting,
    reason: str,
    promote: bool,
    now: datetime,
) -> int | None:
    sighting_id = insert_sighting(session, item_id, decision.item, decision.keys, now)
    if sighting_id is None:  # a concurrent writer stored it meanwhile
        existing = find_sighting(session, decision.item)
        assert existing is not None, "ON CONFLICT without a conflicting row"
        return update_sighting(session, existing, decision.item, decision.keys, now)
    add_keys(session, item_id, decision.keys)
    owner = session.get(ItemRow, item_id)
    assert owner is not None
    if promote:
        copy_representative(owner, decision.item, sighting_id)
    where = f"{decision.item.source_id}:{decision.item.source_key}"
    session.add(
        AuditRow(
            item_id=item_id,
            action="add-sighting",
            detail=f"{where} {reason}".strip(),
            actor=INGEST_ACTOR,
            at=now,
        )
    )
    session.flush()
    return item_id
