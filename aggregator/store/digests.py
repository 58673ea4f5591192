"""Digest subscribers and their sending state (mixed into Storage).

A subscriber is claimed (a lease, like sources) before its digest is composed and sent, and its
`sent_until` moves to the end of the period sent in the same statement that frees the claim: a
digest is sent once per period by one process, and one whose process died is sent by the next
after the lease ends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from aggregator.models import StoredItem
from aggregator.store.engine import run_read, run_write
from aggregator.store.ingest.apply import dialect_insert
from aggregator.store.queries import sightings_of, to_stored
from aggregator.store.schema import ItemRow, SubscribeRequestRow, SubscriberRow

Row = SubscriberRow
RequestRow = SubscribeRequestRow


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    feeds: tuple[str, ...]
    frequency: str
    sent_until: datetime
    failures: int


class DigestStore:
    """Storage methods for `subscribers`; needs `self.engine`."""

    engine: Engine

    def subscribe(
        self, email: str, feeds: Sequence[str], frequency: str, *, now: datetime
    ) -> Subscriber:
        """A confirmed subscription (new, or new choices for a known address, whose next digest
        still starts where its last one ended)."""
        values = {"feeds": list(feeds), "frequency": frequency, "confirmed_at": now}

        def write(session: Session) -> Subscriber:
            insert = dialect_insert(session, Row).values(
                email=email, sent_until=now, failures=0, **values
            )
            session.execute(insert.on_conflict_do_update(index_elements=["email"], set_=values))
            row = session.scalars(select(Row).where(Row.email == email)).one()
            return _subscriber(row)

        return run_write(self.engine, "subscribing", write)

    def unsubscribe(self, subscriber_id: int, email: str) -> bool:
        """Delete the address; False when it was not subscribed (any more)."""
        statement = delete(Row).where(Row.id == subscriber_id, Row.email == email)
        result = run_write(self.engine, "unsubscribing", lambda s: s.execute(statement))
        return bool(getattr(result, "rowcount", 0))

    def subscriber(self, email: str) -> Subscriber | None:
        query = select(Row).where(Row.email == email)
        read = lambda s: next((_subscriber(r) for r in s.scalars(query)), None)  # noqa: E731
        return run_read(self.engine, "reading a subscriber", read)

    def claim_digest(
        self, owner: str, ends: Mapping[str, datetime], *, now: datetime, ttl: float
    ) -> Subscriber | None:
        """Lease one subscriber whose digest is due: its last period sent ends before the
        current period of its frequency (`ends`), no retry is pending and no one holds it."""

        def write(session: Session) -> Subscriber | None:
            query = (
                select(Row)
                .where(_due(ends, now))
                .order_by(Row.sent_until, Row.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            row = session.scalars(query).first()
            if row is None:
                return None
            row.claimed_by, row.claimed_until = owner, now + timedelta(seconds=ttl)
            return _subscriber(row)

        return run_write(self.engine, "claiming a digest", write)

    def digest_sent(self, subscriber_id: int, owner: str, until: datetime) -> bool:
        """The digest up to `until` went out (or there was nothing to send): free the claim."""
        values = {"sent_until": until, "failures": 0, "retry_at": None}
        return self._release(subscriber_id, owner, values)

    def digest_failed(self, subscriber_id: int, owner: str, retry_at: datetime | None) -> None:
        """A failed send: retry at `retry_at`; None drops the address (repeated hard failures)."""
        if retry_at is None:
            statement = delete(Row).where(Row.id == subscriber_id, Row.claimed_by == owner)
            run_write(self.engine, "dropping a subscriber", lambda s: s.execute(statement))
            return
        self._release(subscriber_id, owner, {"failures": Row.failures + 1, "retry_at": retry_at})

    def subscriber_counts(self) -> dict[tuple[str, str], int]:
        """(feed id, frequency) → confirmed subscribers."""

        def read(session: Session) -> dict[tuple[str, str], int]:
            counts: Counter[tuple[str, str]] = Counter()
            for feeds, frequency in session.execute(select(Row.feeds, Row.frequency)):
                counts.update((feed, frequency) for feed in feeds)
            return dict(counts)

        return run_read(self.engine, "counting subscribers", read)

    def count_request(self, who: str, period_start: datetime) -> int:
        """Count one request of `who` in the period starting at `period_start`; how many it
        has made in that period, this one included. Periods over a day old are forgotten."""
        key = f"{period_start.isoformat()} {who}"

        def write(session: Session) -> int:
            old = period_start - timedelta(days=1)
            session.execute(delete(RequestRow).where(RequestRow.period_start < old))
            statement = (
                dialect_insert(session, RequestRow)
                .values(key=key, period_start=period_start, count=1)
                .on_conflict_do_update(index_elements=["key"], set_={"count": RequestRow.count + 1})
                .returning(RequestRow.count)
            )
            return int(session.execute(statement).scalar_one())

        return run_write(self.engine, "counting a subscribe request", write)

    def items_created_between(self, start: datetime, end: datetime) -> list[StoredItem]:
        """Live, visible items first stored in [start, end), oldest first."""
        query = (
            select(ItemRow)
            .where(ItemRow.created_at >= start, ItemRow.created_at < end)
            .where(ItemRow.deleted.is_(False), ItemRow.hidden.is_(False))
            .order_by(ItemRow.created_at, ItemRow.id)
        )

        def read(session: Session) -> list[StoredItem]:
            rows = list(session.scalars(query))
            sightings = sightings_of(session, [row.id for row in rows])
            return [to_stored(row, sightings.get(row.id, ())) for row in rows]

        return run_read(self.engine, "reading a digest's items", read)

    def _release(self, subscriber_id: int, owner: str, values: dict[str, object]) -> bool:
        statement = (
            update(Row)
            .where(Row.id == subscriber_id, Row.claimed_by == owner)
            .values(claimed_by=None, claimed_until=None, **values)
        )
        result = run_write(self.engine, "recording a digest", lambda s: s.execute(statement))
        return bool(getattr(result, "rowcount", 0))


def _due(ends: Mapping[str, datetime], now: datetime) -> ColumnElement[bool]:
    periods = [and_(Row.frequency == f, Row.sent_until < end) for f, end in ends.items()]
    return and_(
        or_(*periods),
        or_(Row.retry_at.is_(None), Row.retry_at <= now),
        or_(Row.claimed_until.is_(None), Row.claimed_until < now),
    )


def _subscriber(row: SubscriberRow) -> Subscriber:
    return Subscriber(
        row.id, row.email, tuple(row.feeds), row.frequency, row.sent_until, row.failures
    )
