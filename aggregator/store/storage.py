"""The Storage facade: the only way the rest of the aggregator touches the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from aggregator.clock import utcnow
from aggregator.errors import NotFound
from aggregator.models import Candidate, Decision, SourceState, StoredItem
from aggregator.store import curation
from aggregator.store.changes import ChangeStore, note_change
from aggregator.store.digests import DigestStore
from aggregator.store.documents import DocumentStore
from aggregator.store.engine import (
    DEFAULT_URL,
    make_engine,
    run_read,
    run_write,
    storage_errors,
)
from aggregator.store.engine import migrate as upgrade
from aggregator.store.ingest.apply import dialect_insert
from aggregator.store.ingest.batch import CandidateIndex
from aggregator.store.ingest.keylock import Redecide
from aggregator.store.ingest.transaction import STATE_FIELDS, Transaction
from aggregator.store.leases import LeaseStore
from aggregator.store.outbox import OutboxStore
from aggregator.store.queries import ItemFilter, get_item, get_row, list_items
from aggregator.store.retention import RetentionStore
from aggregator.store.schema import AuditRow, ItemRow, SightingRow, SourceRow
from aggregator.store.users import UserStore

T = TypeVar("T")


class Storage(
    UserStore, LeaseStore, DocumentStore, RetentionStore, ChangeStore, OutboxStore, DigestStore
):
    """Sources' polling state, items with their sightings and keys, curation and its audit.

    URLs: `sqlite:///path/to.sqlite` (parent folder created; WAL, foreign keys, busy timeout)
    or `postgresql+psycopg://user@host/db`. A PostgreSQL schema other than the default is
    chosen with the libpq options in the URL query, e.g.
    `...?options=-csearch_path%3Dmy_schema`, or with
    `engine_options={"connect_args": {"options": "-csearch_path=my_schema"}}`.
    Every failure is raised as aggregator.errors.StorageError (NotFound for a missing item).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        migrate: bool = True,
        engine_options: Mapping[str, Any] | None = None,
    ) -> Storage:
        """Connect; with `migrate`, bring the schema to the newest revision first."""
        with storage_errors(f"opening {url}"):
            engine = make_engine(url, engine_options)
        if migrate:
            try:
                upgrade(engine)
            except BaseException:
                engine.dispose()
                raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- sources ---

    def source_state(self, source_id: str) -> SourceState:
        def read(session: Session) -> SourceState:
            row = session.get(SourceRow, source_id)
            return SourceState(source_id) if row is None else _to_state(row)

        return run_read(self.engine, "reading source state", read)

    def source_states(self) -> list[SourceState]:
        def read(session: Session) -> list[SourceState]:
            # Columns, not ORM objects: every poll starts here, with a row per source.
            columns = [getattr(SourceRow, name) for name in STATE_FIELDS]
            rows = session.execute(select(*columns).order_by(SourceRow.source_id))
            return [SourceState(**dict(zip(STATE_FIELDS, row, strict=True))) for row in rows]

        return run_read(self.engine, "reading source states", read)

    def save_source_state(self, state: SourceState) -> None:
        self.save_source_states([state])

    def save_source_states(self, states: Sequence[SourceState]) -> None:
        """Save many sources' states in one transaction."""
        if states:
            self.write(lambda tx: tx.save_source_states(states), "saving source state")

    def claim_source(self, source_id: str, owner: str, *, now: datetime, ttl: float) -> bool:
        """Take (or renew) the lease on polling a source for `ttl` seconds; False if held."""
        until = now + timedelta(seconds=ttl)
        free = or_(
            SourceRow.lease_owner.is_(None),
            SourceRow.lease_owner == owner,
            SourceRow.lease_until < now,
        )

        def write(session: Session) -> bool:
            blank = {"source_id": source_id, "status": "new", "error_count": 0, "items_found": 0}
            session.execute(
                dialect_insert(session, SourceRow).values(blank).on_conflict_do_nothing()
            )
            claim = update(SourceRow).where(SourceRow.source_id == source_id, free)
            result = session.execute(claim.values(lease_owner=owner, lease_until=until))
            return bool(getattr(result, "rowcount", 0) == 1)

        return run_write(self.engine, f"claiming source {source_id}", write)

    def release_source(self, source_id: str, owner: str) -> None:
        """Give the lease back (only if `owner` still holds it)."""
        release = update(SourceRow).where(
            SourceRow.source_id == source_id, SourceRow.lease_owner == owner
        )
        run_write(
            self.engine,
            f"releasing source {source_id}",
            lambda s: s.execute(release.values(lease_owner=None, lease_until=None)),
        )

    # --- ingest ---

    def write(self, work: Callable[[Transaction], T], operation: str = "storing items") -> T:
        """Run `work` in one write transaction, committed once when it returns.

        After a deadlock or a lock time-out the transaction is rolled back and `work` runs
        again from the start, so it must not keep state of its own across calls.
        """

        def run(session: Session) -> T:
            tx = Transaction(session)
            done = work(tx)
            tx.finish()
            return done

        return run_write(self.engine, operation, run)

    def candidates(self, keys: Sequence[str]) -> list[Candidate]:
        """Items sharing any key (tombstones included, deleted=True), by item id."""
        if not keys:
            return []
        read = lambda s: Transaction(s).candidates(keys)  # noqa: E731
        return run_read(self.engine, "finding candidates", read)

    def candidate_index(self, keys: Sequence[str]) -> CandidateIndex:
        """Candidates for many items' keys in one read (see `candidates`)."""
        read = lambda s: Transaction(s).candidate_index(keys)  # noqa: E731
        return run_read(self.engine, "finding candidates", read)

    def apply(
        self, decisions: Sequence[Decision], *, now: datetime, redecide: Redecide | None = None
    ) -> list[int]:
        """Apply decisions in one transaction; return ids of items created or changed.

        `redecide` (dedupe's decide) judges a new item again when a concurrent writer
        stored an item sharing one of its keys since the decision was made.
        """
        if not decisions:
            return []
        return self.write(lambda tx: tx.apply(decisions, now=now, redecide=redecide))

    # --- read ---

    def items(
        self,
        *,
        categories: Sequence[str] = (),
        review_types: Sequence[str] = (),
        sources: Sequence[str] = (),
        search: str | None = None,
        include_hidden: bool = False,
        since: datetime | None = None,
        limit: int | None = None,
        pinned: bool | None = None,
        themes: Sequence[str] = (),
    ) -> list[StoredItem]:
        """Live items, pinned first, then newest published first (id breaks ties).

        `pinned` keeps only pinned (True) or unpinned (False) items; unpinned with a limit is
        the cheap "newest n" read publishing makes.
        """
        wanted = ItemFilter(
            categories, review_types, sources, search, include_hidden, since, limit, pinned, themes
        )
        return run_read(self.engine, "listing items", lambda s: list_items(s, wanted))

    def item(self, item_id: int) -> StoredItem:
        """One live item (hidden included); NotFound if missing or deleted."""
        return run_read(self.engine, f"reading item {item_id}", lambda s: get_item(s, item_id))

    def source_keys(self, source_id: str) -> frozenset[str]:
        """The key of every entry of a source that is stored (deleted ones too)."""
        query = select(SightingRow.source_key).where(SightingRow.source_id == source_id)
        return run_read(self.engine, "reading source keys", lambda s: frozenset(s.scalars(query)))

    def item_count(self) -> int:
        """How many items are not deleted (hidden ones included)."""
        query = select(func.count()).select_from(ItemRow).where(ItemRow.deleted.is_(False))
        return run_read(self.engine, "counting items", lambda s: s.scalar(query) or 0)

    # --- curation ---

    def set_item(
        self,
        item_id: int,
        *,
        hidden: bool | None = None,
        pinned: bool | None = None,
        category: str | None = None,
        review_type: str | None = None,
        themes: Sequence[str] | Literal["auto"] | None = None,
        joint_types: Sequence[str] = (),
        actor: str = "cli",
    ) -> None:
        """None leaves a field alone; "" clears a category/review type override; with a review
        type, joint_types are the other review types it is; themes="auto" clears a curator's
        themes."""

        def write(session: Session) -> None:
            curation.set_item(
                session,
                item_id,
                hidden=hidden,
                pinned=pinned,
                category=category,
                review_type=review_type,
                actor=actor,
                now=utcnow(),
                themes=themes,
                joint_types=joint_types,
            )
            note_change(session)

        run_write(self.engine, f"changing item {item_id}", write)

    def delete_item(self, item_id: int, *, actor: str = "cli") -> None:
        def write(session: Session) -> None:
            curation.delete_item(session, item_id, actor=actor, now=utcnow())
            note_change(session)

        run_write(self.engine, f"deleting item {item_id}", write)

    def merge_items(self, keep_id: int, other_id: int, *, actor: str = "cli") -> None:
        def write(session: Session) -> None:
            curation.merge_items(session, keep_id, other_id, actor=actor, now=utcnow())
            note_change(session)

        run_write(self.engine, f"merging item {other_id} into {keep_id}", write)

    def split_item(self, item_id: int, *, actor: str = "cli") -> list[int]:
        def write(session: Session) -> list[int]:
            made = curation.split_item(session, item_id, actor=actor, now=utcnow())
            note_change(session)
            return made

        return run_write(self.engine, f"splitting item {item_id}", write)

    def audit(self, item_id: int) -> list[tuple[datetime, str, str, str]]:
        """(at, action, detail, actor) oldest first; NotFound for an unknown item."""

        def read(session: Session) -> list[tuple[datetime, str, str, str]]:
            get_row(session, item_id)
            query = select(AuditRow).where(AuditRow.item_id == item_id)
            rows = session.scalars(query.order_by(AuditRow.at, AuditRow.id))
            return [(row.at, row.action, row.detail, row.actor) for row in rows]

        return run_read(self.engine, f"reading audit of item {item_id}", read)


def _to_state(row: SourceRow) -> SourceState:
    return SourceState(**{name: getattr(row, name) for name in STATE_FIELDS})


__all__ = ["NotFound", "Storage"]
