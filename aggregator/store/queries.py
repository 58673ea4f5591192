"""Read side: rows to the dataclasses publishing, dedupe and curation read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Text, and_, func, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import InstrumentedAttribute, Session

from aggregator.errors import NotFound
from aggregator.models import Category, ReviewType, Sighting, StoredItem
from aggregator.store.schema import ItemRow, SightingRow

_CHUNK = 500  # bound parameters per IN (...) list


def chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def effective_category() -> ColumnElement[str]:
    return func.coalesce(ItemRow.category_override, ItemRow.category)


def effective_review_type() -> ColumnElement[str | None]:
    return func.coalesce(ItemRow.review_type_override, ItemRow.review_type)


def has_any_theme(themes: Sequence[str]) -> ColumnElement[bool]:
    """The item's themes (a curator's, else its own) name one of `themes`."""
    return _names_any(ItemRow.themes_override, ItemRow.themes, themes)


def is_any_review_type(review_types: Sequence[str]) -> ColumnElement[bool]:
    """Its review type, or one of its joint types, is one of `review_types`."""
    joint = _names_any(ItemRow.joint_types_override, ItemRow.joint_types, review_types)
    return or_(effective_review_type().in_(list(review_types)), joint)


def _names_any(
    override: InstrumentedAttribute[list[str] | None],
    own: InstrumentedAttribute[list[str]],
    names: Sequence[str],
) -> ColumnElement[bool]:
    """The JSON list shown (a curator's, else its own) holds one of `names`. The lists are read
    as the text they were written as (["name", ...]; names are slugs, needing no escaping), which
    both databases can do without a JSON function; no curator's choice is SQL NULL or JSON null."""
    chosen = func.nullif(sql_cast(override, Text), "null")
    shown = func.coalesce(chosen, sql_cast(own, Text))
    return or_(*(shown.like(f'%"{name}"%') for name in names))


@dataclass(frozen=True)
class ItemFilter:
    categories: Sequence[str] = ()
    review_types: Sequence[str] = ()
    sources: Sequence[str] = ()
    search: str | None = None
    include_hidden: bool = False
    since: datetime | None = None
    limit: int | None = None
    pinned: bool | None = None  # None: either
    themes: Sequence[str] = ()  # any of them

    def conditions(self) -> list[ColumnElement[bool]]:
        # Publishing's reads (the pinned; the newest n unpinned) beat the (deleted, hidden)
        # index by a plain scan or by walking ix_items_published.
        by_pin = self.pinned is True or (self.pinned is False and self.limit is not None)
        found: list[ColumnElement[bool]] = [_is_false(ItemRow.deleted, by_pin)]
        if not self.include_hidden:
            found.append(_is_false(ItemRow.hidden, by_pin))
        if self.pinned is not None:
            found.append(ItemRow.pinned.is_(self.pinned))
        if self.categories:
            found.append(effective_category().in_(list(self.categories)))
        if self.review_types:
            found.append(effective_category() == "reviews")
            found.append(is_any_review_type(self.review_types))
        if self.themes:
            found.append(has_any_theme(self.themes))
        if self.sources:
            seen_in = select(SightingRow.id).where(
                SightingRow.item_id == ItemRow.id, SightingRow.source_id.in_(list(self.sources))
            )
            found.append(seen_in.exists())
        if self.search:
            found.append(_matches(self.search))
        if self.since is not None:
            found.append(ItemRow.published >= self.since)
        return found

    def statement(self) -> Select[ItemRow]:
        ordered = (ItemRow.pinned.desc(), ItemRow.published.desc(), ItemRow.id.desc())
        query = select(ItemRow).where(and_(*self.conditions())).order_by(*ordered)
        return query if self.limit is None else query.limit(self.limit)


def _is_false(flag: InstrumentedAttribute[bool], hide_from_planner: bool) -> ColumnElement[bool]:
    """With `hide_from_planner`, the same test through coalesce(), which no index serves: then
    SQLite reads "newest first, LIMIT n" by walking ix_items_published, stopping after n rows,
    and "pinned only" by one sequential scan, instead of visiting every live row through the
    (deleted, hidden) prefix of ix_items_listing and sorting them."""
    if hide_from_planner:
        return func.coalesce(flag, False).is_(False)
    return flag.is_(False)


def _matches(search: str) -> ColumnElement[bool]:
    needle = search.lower()
    return or_(
        func.lower(ItemRow.title).contains(needle, autoescape=True),
        func.lower(ItemRow.summary).contains(needle, autoescape=True),
    )


def list_items(session: Session, wanted: ItemFilter) -> list[StoredItem]:
    rows = list(session.scalars(wanted.statement()))
    sightings = sightings_of(session, [row.id for row in rows])
    return [to_stored(row, sightings.get(row.id, ())) for row in rows]


def get_row(session: Session, item_id: int) -> ItemRow:
    row = session.get(ItemRow, item_id)
    if row is None:
        raise NotFound(f"no item {item_id}")
    return row


def get_item(session: Session, item_id: int) -> StoredItem:
    row = get_row(session, item_id)
    if row.deleted:
        raise NotFound(f"item {item_id} is deleted")
    return to_stored(row, sightings_of(session, [item_id]).get(item_id, ()))


def sighting_rows(session: Session, item_ids: Sequence[int]) -> dict[int, list[SightingRow]]:
    """Every sighting of the given items, oldest first, in one query per chunk of ids."""
    found: dict[int, list[SightingRow]] = defaultdict(list)
    for part in chunks(list(item_ids)):
        query = (
            select(SightingRow)
            .where(SightingRow.item_id.in_(part))
            .order_by(SightingRow.first_seen, SightingRow.id)
        )
        for row in session.scalars(query):
            found[row.item_id].append(row)
    return found


def sightings_of(session: Session, item_ids: Sequence[int]) -> dict[int, tuple[Sighting, ...]]:
    rows = sighting_rows(session, item_ids)
    return {
        item_id: tuple(Sighting(s.source_id, s.url, s.first_seen) for s in sightings)
        for item_id, sightings in rows.items()
    }


def to_stored(row: ItemRow, sightings: Iterable[Sighting]) -> StoredItem:
    category = cast(Category, row.category_override or row.category)
    review_type = row.review_type_override or row.review_type
    joint = row.joint_types if row.joint_types_override is None else row.joint_types_override
    return StoredItem(
        id=row.id,
        public_id=row.public_id,
        title=row.title,
        url=row.url,
        canonical_url=row.canonical_url,
        summary=row.summary,
        content_html=row.content_html,
        published=row.published,
        updated=row.updated,
        category=category,
        review_type=cast(ReviewType, review_type) if category == "reviews" else None,
        author=row.author,
        event_date=row.event_date,
        source_id=row.source_id,
        pinned=row.pinned,
        hidden=row.hidden,
        sightings=tuple(sightings),
        themes=tuple(row.themes if row.themes_override is None else row.themes_override),
        joint_types=tuple(
            cast(ReviewType, t) for t in joint if category == "reviews" and t != review_type
        ),
    )
