"""Typed contracts handed from one pipeline stage to the next.

fetch -> FetchResult -> parse -> ParsedItem -> normalise/classify -> Item -> dedupe -> store
store -> StoredItem -> publish
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Category = Literal["reviews", "news", "training"]
ReviewType = Literal["dhr", "sar", "cspr", "learning", "other"]
SourceType = Literal["feed", "govuk-search", "html", "ical"]
IdentityPolicy = Literal["guid", "link", "content"]
CATEGORIES: tuple[Category, ...] = ("reviews", "news", "training")
REVIEW_TYPES: tuple[ReviewType, ...] = ("dhr", "sar", "cspr", "learning", "other")


@dataclass(frozen=True)
class FetchResult:
    """What the fetch stage hands on: one HTTP exchange, already judged."""

    source_id: str
    url: str  # the URL finally answered (after redirects)
    status: int  # 200 or 304
    body: bytes | None  # None when not modified
    content_type: str | None = None  # media type without parameters, lower case
    charset: str | None = None  # charset parameter of Content-Type, if any
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # new URL when a 301/308 was followed
    max_age: float | None = None  # seconds, from Cache-Control max-age / Expires
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304 or self.body is None


@dataclass(frozen=True)
class ParsedItem:
    """One entry as a parser found it: raw HTML, dates as given (aware or None)."""

    title: str
    link: str | None = None
    guid: str | None = None
    summary_html: str | None = None
    content_html: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    event_date: date | None = None
    base_url: str | None = None  # what relative links in the HTML resolve against


@dataclass(frozen=True)
class ParseResult:
    items: tuple[ParsedItem, ...]
    title: str | None = None
    link: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    category: Category
    review_type: ReviewType | None  # set only when category == "reviews"
    themes: tuple[str, ...] = ()  # slugs of aggregator.themes.THEMES, in vocabulary order
    # the review types it also is (a joint DHR/SAR: review_type "dhr", joint_types ("sar",))
    joint_types: tuple[ReviewType, ...] = ()


@dataclass(frozen=True)
class Item:
    """A normalised, classified item from one source, ready for dedupe and storage."""

    source_id: str
    source_key: str  # identity of the entry within its source (see identity policy)
    title: str  # plain text
    url: str | None  # absolute
    canonical_url: str | None
    summary: str  # plain text, cleaned, may be ""
    content_html: str | None  # sanitised
    published: datetime  # aware UTC, never in the future
    updated: datetime  # aware UTC
    category: Category
    review_type: ReviewType | None
    author: str | None = None
    source_categories: tuple[str, ...] = ()
    event_date: date | None = None
    content_hash: str = ""  # hash of what subscribers see; changes mean a real update
    # published came from the time of polling (no date given, or a future one clamped): the
    # store keeps the date of the first sighting instead of moving it on every poll
    provisional_date: bool = False
    signature: str | None = None  # dedupe's compact signature (JSON), made with the lookup keys
    themes: tuple[str, ...] = ()
    joint_types: tuple[ReviewType, ...] = ()  # as in Classification


@dataclass(frozen=True)
class Sighting:
    source_id: str
    url: str | None
    first_seen: datetime


@dataclass(frozen=True)
class StoredItem:
    """An item as the store holds it; what publishing and curation read."""

    id: int
    public_id: str  # never changes once assigned: feed entry id / guid
    title: str
    url: str | None
    canonical_url: str | None
    summary: str
    content_html: str | None
    published: datetime
    updated: datetime
    category: Category
    review_type: ReviewType | None
    author: str | None = None
    event_date: date | None = None
    source_id: str = ""  # the representative sighting's source
    pinned: bool = False
    hidden: bool = False
    sightings: tuple[Sighting, ...] = ()
    themes: tuple[str, ...] = ()  # a curator's when they set them, else the heuristics' and rules'
    joint_types: tuple[ReviewType, ...] = ()  # as in Classification; () unless a review

    @property
    def review_types(self) -> tuple[ReviewType, ...]:
        """Every review type it is, its review_type first."""
        return (self.review_type, *self.joint_types) if self.review_type else ()


@dataclass(frozen=True)
class SourceState:
    """Per-source polling state kept in the store between polls."""

    source_id: str
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    status: str = "new"  # new | ok | error | backoff | moved | gone | disabled
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    error_count: int = 0
    next_poll_at: datetime | None = None
    moved_to: str | None = None
    items_found: int = 0


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one source produced, as reported to the CLI and logs."""

    source_id: str
    ok: bool
    new: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    not_modified: bool = False
    error: str | None = None
    elapsed: float = 0.0
    extra: Mapping[str, str] = field(default_factory=dict)


# --- dedupe contract: what the store tells dedupe, and what dedupe tells the store ---


@dataclass(frozen=True)
class StoredSighting:
    """One sighting of a candidate, as dedupe judges it."""

    source_id: str
    source_key: str
    canonical_url: str | None
    content_hash: str
    published: datetime
    signature: str | None  # dedupe's compact signature; None: stored before signatures were
    title: str = ""  # read only for a sighting without a signature
    summary: str = ""


@dataclass(frozen=True)
class Candidate:
    """An existing stored item that shares at least one lookup key with an incoming Item."""

    item_id: int
    title: str
    summary: str
    published: datetime
    representative_source: str
    sightings: tuple[StoredSighting, ...]  # oldest first
    deleted: bool = False  # tombstoned: never resurrect, never publish
    grouped_by_hand: bool = False  # a curator merged or split it: never regrouped

    @property
    def canonical_urls(self) -> tuple[str, ...]:
        return tuple(s.canonical_url for s in self.sightings if s.canonical_url)

    @property
    def source_keys(self) -> tuple[tuple[str, str], ...]:
        return tuple((s.source_id, s.source_key) for s in self.sightings)

    @property
    def sighting_hashes(self) -> Mapping[tuple[str, str], str]:
        return {(s.source_id, s.source_key): s.content_hash for s in self.sightings}


@dataclass(frozen=True)
class NewItem:
    """No stored item matches: create one with this first sighting."""

    item: Item
    keys: tuple[str, ...]  # lookup keys to index for this item
    seen: frozenset[int] = frozenset()  # the stored items it was judged against


@dataclass(frozen=True)
class UpdateSighting:
    """The same (source_id, source_key) is already stored: refresh it."""

    item_id: int
    item: Item
    keys: tuple[str, ...]
    content_changed: bool  # True: a real update (new `updated`, new content)


@dataclass(frozen=True)
class AddSighting:
    """A different source (or key) announces a stored item: merge into it."""

    item_id: int
    item: Item
    keys: tuple[str, ...]
    reason: str  # audit: why they were judged the same ("canonical-url", "near-dup 0.91 ...")
    make_representative: bool  # the new sighting becomes what subscribers see


@dataclass(frozen=True)
class Regroup:
    """The incoming item shows stored items to be grouped otherwise (it is like two that
    contradict each other, or like a group that holds something it contradicts): the new
    grouping of every sighting concerned, each a (source_id, source_key), the item's among them.
    """

    item_id: int  # the first of `items`
    item: Item
    keys: tuple[str, ...]
    items: tuple[int, ...]  # the stored items whose sightings are grouped anew
    groups: tuple[tuple[tuple[str, str], ...], ...]
    reason: str


Decision = NewItem | UpdateSighting | AddSighting | Regroup
