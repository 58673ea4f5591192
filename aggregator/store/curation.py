"""Curation: hide/pin/override, tombstone, merge and split; each leaves an audit row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from aggregator.errors import NotFound, StorageError
from aggregator.models import CATEGORIES, REVIEW_TYPES
from aggregator.store.ingest.apply import add_keys, copy_representative, new_public_id
from aggregator.store.queries import get_row, sighting_rows
from aggregator.store.schema import AuditRow, ItemKeyRow, ItemRow, SightingRow
from aggregator.themes import THEMES, unknown_themes, with_broader


def audit(
    session: Session, item_id: int, action: str, detail: str, actor: str, at: datetime
) -> None:
    session.add(AuditRow(item_id=item_id, action=action, detail=detail, actor=actor, at=at))


def live_row(session: Session, item_id: int) -> ItemRow:
    row = get_row(session, item_id)
    if row.deleted:
        raise NotFound(f"item {item_id} is deleted")
    return row


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value and value not in allowed:
        raise StorageError(f"unknown {name} {value!r}: expected one of {', '.join(allowed)}")


def set_item(
    session: Session,
    item_id: int,
    *,
    hidden: bool | None,
    pinned: bool | None,
    category: str | None,
    review_type: str | None,
    actor: str,
    now: datetime,
    themes: Sequence[str] | Literal["auto"] | None = None,
    joint_types: Sequence[str] = (),
) -> None:
    """Change flags/overrides; "" clears an override. A review type implies category reviews;
    with it, `joint_types` are the other review types the item is (none unless given).
    `themes`: the item's themes from now on, whatever later polls find; "auto": theirs again."""
    row = live_row(session, item_id)
    changes: list[str] = []
    if hidden is not None and hidden != row.hidden:
        row.hidden = hidden
        changes.append(f"hidden={str(hidden).lower()}")
    if pinned is not None and pinned != row.pinned:
        row.pinned = pinned
        changes.append(f"pinned={str(pinned).lower()}")
    if review_type and category is None and (row.category_override or row.category) != "reviews":
        category = "reviews"
    if category is not None:
        _check_choice("category", category, CATEGORIES)
        row.category_override = category or None
        changes.append(f"category={category or '(source)'}")
    if review_type is not None:
        changes += _set_review_types(row, review_type, joint_types)
    if themes is not None:
        changes += _set_themes(row, themes)
    if changes:
        audit(session, item_id, "set", ", ".join(changes), actor, now)


def _set_review_types(row: ItemRow, review_type: str, joint_types: Sequence[str]) -> list[str]:
    joint = [name for name in dict.fromkeys(joint_types) if name != review_type]
    for name in (review_type, *joint):
        _check_choice("review type", name, REVIEW_TYPES)
    if joint and not review_type:
        raise StorageError("joint review types need a review type")
    row.review_type_override = review_type or None
    row.joint_types_override = joint if review_type else None
    return [f"review_type={'+'.join((review_type, *joint)) or '(source)'}"]


def _set_themes(row: ItemRow, themes: Sequence[str] | Literal["auto"]) -> list[str]:
    if themes == "auto":
        chosen = None
    else:
        if unknown := unknown_themes(themes):
            raise StorageError(f"unknown theme {unknown[0]!r}: expected one of {', '.join(THEMES)}")
        chosen = list(with_broader(themes))
    if chosen == row.themes_override:
        return []
    row.themes_override = chosen
    return [f"themes={'(source)' if chosen is None else ','.join(chosen) or '(none)'}"]


def delete_item(session: Session, item_id: int, *, actor: str, now: datetime) -> None:
    """Tombstone: sightings and keys stay, so later polls find the item and leave it deleted."""
    row = get_row(session, item_id)
    if not row.deleted:
        row.deleted = True
        audit(session, item_id, "delete", row.title, actor, now)


def merge_items(
    session: Session, keep_id: int, other_id: int, *, actor: str, now: datetime
) -> None:
    if keep_id == other_id:
        raise StorageError(f"cannot merge item {keep_id} into itself")
    keep, other = live_row(session, keep_id), live_row(session, other_id)
    session.execute(
        update(SightingRow).where(SightingRow.item_id == other_id).values(item_id=keep_id)
    )
    keys = list(session.scalars(select(ItemKeyRow.key).where(ItemKeyRow.item_id == other_id)))
    add_keys(session, keep_id, keys)
    session.execute(delete(ItemKeyRow).where(ItemKeyRow.item_id == other_id))
    other.deleted, other.merged_into, other.representative_id = True, keep_id, None
    keep.grouped_by_hand = other.grouped_by_hand = True
    audit(session, keep_id, "merge", f"absorbed item {other_id} ({other.public_id})", actor, now)
    audit(session, other_id, "merged-into", f"item {keep_id} ({keep.public_id})", actor, now)


def split_item(session: Session, item_id: int, *, actor: str, now: datetime) -> list[int]:
    """Each non-representative sighting becomes an item of its own, taking its keys along."""
    row = live_row(session, item_id)
    sightings = sighting_rows(session, [item_id]).get(item_id, [])
    leaving = [s for s in sightings if s.id != row.representative_id]
    staying_keys = {
        key for s in sightings if s.id == row.representative_id for key in s.lookup_keys
    }
    new_ids = [_split_off(session, sighting, now) for sighting in leaving]
    row.grouped_by_hand = bool(new_ids) or row.grouped_by_hand
    moved_keys = {key for s in leaving for key in s.lookup_keys} - staying_keys
    if moved_keys:
        session.execute(
            delete(ItemKeyRow).where(ItemKeyRow.item_id == item_id, ItemKeyRow.key.in_(moved_keys))
        )
    for new_id in new_ids:
        audit(session, new_id, "split-from", f"item {item_id} ({row.public_id})", actor, now)
    if new_ids:
        audit(session, item_id, "split", "into items " + ", ".join(map(str, new_ids)), actor, now)
    return new_ids


def _split_off(session: Session, sighting: SightingRow, now: datetime) -> int:
    item = ItemRow(public_id=new_public_id(), created_at=now, pinned=False, hidden=False)
    item.deleted, item.grouped_by_hand = False, True
    copy_representative(item, sighting, sighting.id)
    session.add(item)
    session.flush()
    sighting.item_id = item.id
    add_keys(session, item.id, sighting.lookup_keys)
    session.flush()
    return item.id
