"""Several workers sharing one database: leases on due sources, and one publisher at a time.

Mixed into the Storage facade. A worker claims a batch of due sources in one transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent claimers never wait on or take each
other's rows; SQLite's write transaction already serialises claimers), polls them, and gives
the leases back. A worker that dies loses only its leases: they expire after `ttl` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from aggregator.store.engine import run_write, storage_errors
from aggregator.store.ingest.apply import dialect_insert
from aggregator.store.queries import chunks
from aggregator.store.schema import SourceRow

PUBLISH_LOCK_KEY = 7_240_312  # pg advisory lock: one publisher at a time (next to migrations')
NOT_POLLED = ("gone", "disabled")
_LOCAL_PUBLISH_LOCK = threading.Lock()  # SQLite runs on one machine: a process lock suffices


def due_and_free(now: datetime) -> ColumnElement[bool]:
    """The claim rule: due (never scheduled or next poll reached), pollable, lease free/expired."""
    return and_(
        or_(SourceRow.next_poll_at.is_(None), SourceRow.next_poll_at <= now),
        SourceRow.status.not_in(NOT_POLLED),
        or_(SourceRow.lease_owner.is_(None), SourceRow.lease_until < now),
    )


def insert_missing(session: Session, source_ids: Sequence[str]) -> None:
    """Rows for configured sources never seen before (status new, due at once)."""
    known: set[str] = set()
    for part in chunks(list(source_ids)):
        known.update(
            session.scalars(select(SourceRow.source_id).where(SourceRow.source_id.in_(part)))
        )
    blank = [
        {"source_id": sid, "status": "new", "error_count": 0, "items_found": 0}
        for sid in dict.fromkeys(source_ids)
        if sid not in known
    ]
    if blank:
        session.execute(dialect_insert(session, SourceRow).values(blank).on_conflict_do_nothing())


def claim_in(
    session: Session, owner: str, source_ids: Sequence[str], now: datetime, ttl: float, limit: int
) -> list[str]:
    insert_missing(session, source_ids)
    query = (
        select(SourceRow.source_id)
        .where(SourceRow.source_id.in_(list(source_ids)), due_and_free(now))
        .order_by(SourceRow.next_poll_at.nulls_first(), SourceRow.source_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(session.scalars(query))
    if claimed:
        lease = {"lease_owner": owner, "lease_until": now + timedelta(seconds=ttl)}
        session.execute(update(SourceRow).where(SourceRow.source_id.in_(claimed)).values(lease))
    return claimed


class LeaseStore:
    """Storage methods for claiming due sources and for the publish lock; needs `self.engine`."""

    engine: Engine

    def claim_due(
        self, owner: str, source_ids: Sequence[str], *, now: datetime, ttl: float, limit: int
    ) -> list[str]:
        """Lease up to `limit` of `source_ids` that are due and not leased; return their ids."""
        if not source_ids or limit <= 0:
            return []
        return run_write(
            self.engine,
            "claiming due sources",
            lambda s: claim_in(s, owner, source_ids, now, ttl, limit),
        )

    def release_sources(self, owner: str, source_ids: Sequence[str]) -> None:
        """Give back the leases `owner` still holds on `source_ids`."""
        if not source_ids:
            return
        release = (
            update(SourceRow)
            .where(SourceRow.source_id.in_(list(source_ids)), SourceRow.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
        run_write(self.engine, "releasing sources", lambda s: s.execute(release))

    @contextmanager
    def publish_lock(self) -> Iterator[bool]:
        """Try (never wait) to become the one publisher; yields whether this process is it."""
        if self.engine.dialect.name != "postgresql":
            acquired = _LOCAL_PUBLISH_LOCK.acquire(blocking=False)
            try:
                yield acquired
            finally:
                if acquired:
                    _LOCAL_PUBLISH_LOCK.release()
            return
        with storage_errors("taking the publish lock"):
            connection = self.engine.connect()
        acquired = False
        try:
            acquired = _advisory(connection, "pg_try_advisory_lock")
            yield acquired
        finally:
            try:
                if acquired:
                    _advisory(connection, "pg_advisory_unlock")
            finally:
                connection.close()


def _advisory(connection: Connection, function: str) -> bool:
    """A session-level advisory lock call, committed at once so no transaction stays open."""
    with storage_errors(function):
        result = connection.execute(text(f"SELECT {function}(:key)"), {"key": PUBLISH_LOCK_KEY})
        value = bool(result.scalar())
        connection.commit()
    return value
