"""Source incidents and the outbox of alert emails and webhook deliveries (mixed into Storage).

An incident changes by compare-and-set (insert if absent, update or delete only if its kind is
still the one read), and the deliveries it causes are inserted in the same transaction: of
several processes judging the same poll, exactly one enqueues the alert. Deliveries are claimed
with a lease like sources, so one process sends each; one that dies leaves it to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from aggregator.store.engine import run_read, run_write
from aggregator.store.ingest.apply import dialect_insert
from aggregator.store.queries import chunks
from aggregator.store.schema import DeliveryRow, ItemRow, SightingRow, SourceIncidentRow


@dataclass(frozen=True)
class NewDelivery:
    channel: str  # email | webhook
    target: str
    event: str
    payload: str  # JSON


@dataclass(frozen=True)
class Delivery:
    id: int
    channel: str
    target: str
    event: str
    payload: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class IncidentChange:
    """Move a source's incident from `old` kind to `new` (None: no incident)."""

    source_id: str
    old: str | None
    new: str | None
    detail: str = ""


class OutboxStore:
    """Storage methods for `source_incidents` and `deliveries`; needs `self.engine`."""

    engine: Engine

    def open_incidents(self) -> dict[str, tuple[str, str]]:
        """source id → (kind, detail) of every open incident."""
        query = select(
            SourceIncidentRow.source_id, SourceIncidentRow.kind, SourceIncidentRow.detail
        )
        read = lambda s: {sid: (kind, detail) for sid, kind, detail in s.execute(query)}  # noqa: E731
        return run_read(self.engine, "reading incidents", read)

    def last_new_at(self, source_ids: Sequence[str]) -> dict[str, datetime]:
        """When each source last brought an entry never seen before (sources with none: absent)."""

        def read(session: Session) -> dict[str, datetime]:
            found: dict[str, datetime] = {}
            newest = func.max(SightingRow.first_seen)
            for part in chunks(list(source_ids)):
                query = select(SightingRow.source_id, newest).where(SightingRow.source_id.in_(part))
                rows = session.execute(query.group_by(SightingRow.source_id))
                found.update({source_id: at for source_id, at in rows})
            return found

        return run_read(self.engine, "reading when sources last brought news", read)

    def items_created_since(
        self, source_ids: Sequence[str], since: datetime
    ) -> list[tuple[str, str, str | None, str, str, datetime]]:
        """(public id, title, url, category, source, published) of live items first stored at or
        after `since` whose announcing source is one of `source_ids`, oldest first."""
        row = ItemRow
        category = func.coalesce(row.category_override, row.category)
        columns = (row.public_id, row.title, row.url, category, row.source_id, row.published)
        query = (
            select(*columns)
            .where(row.created_at >= since, row.deleted.is_(False), row.hidden.is_(False))
            .where(row.merged_into.is_(None), row.source_id.in_(list(source_ids)))
            .order_by(row.id)
        )
        read = lambda s: [tuple(row) for row in s.execute(query)]  # noqa: E731
        return run_read(self.engine, "reading new items", read)

    def change_incident(
        self, change: IncidentChange, deliveries: Sequence[NewDelivery], *, now: datetime
    ) -> bool:
        """Apply `change` if the incident is still `change.old`, and then enqueue `deliveries`;
        False (nothing written) when another process changed it first."""

        def write(session: Session) -> bool:
            if not _compare_and_set(session, change, now):
                return False
            _insert(session, deliveries, now)
            return True

        return run_write(self.engine, f"changing the incident of {change.source_id}", write)

    def enqueue(self, deliveries: Sequence[NewDelivery], *, now: datetime) -> None:
        if deliveries:
            run_write(self.engine, "queueing deliveries", lambda s: _insert(s, deliveries, now))

    def claim_deliveries(
        self, owner: str, *, now: datetime, ttl: float, limit: int = 20
    ) -> list[Delivery]:
        """Lease up to `limit` pending deliveries that are due, oldest first."""

        def write(session: Session) -> list[Delivery]:
            query = (
                select(DeliveryRow)
                .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
                .where(or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until < now))
                .order_by(DeliveryRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = list(session.scalars(query))
            until = now + timedelta(seconds=ttl)
            for row in rows:
                row.claimed_by, row.claimed_until = owner, until
            return [_delivery(row) for row in rows]

        return run_write(self.engine, "claiming deliveries", write)

    def delivery_sent(self, delivery_id: int, *, now: datetime) -> None:
        values = {"status": "sent", "sent_at": now, "last_error": None}
        self._finish(delivery_id, values)

    def delivery_failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: try again at `retry_at`, or give up (None)."""
        values: dict[str, object] = {"last_error": error[:1000]}
        if retry_at is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = retry_at
        self._finish(delivery_id, values)

    def deliveries(self, limit: int = 50) -> list[Delivery]:
        """The newest deliveries, newest first (the console's list)."""
        query = select(DeliveryRow).order_by(DeliveryRow.id.desc()).limit(limit)
        read = lambda s: [_delivery(row) for row in s.scalars(query)]  # noqa: E731
        return run_read(self.engine, "listing deliveries", read)

    def _finish(self, delivery_id: int, values: dict[str, object]) -> None:
        statement = (
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id)
            .values(attempts=DeliveryRow.attempts + 1, claimed_by=None, claimed_until=None)
            .values(values)
        )
        run_write(self.engine, f"recording delivery {delivery_id}", lambda s: s.execute(statement))


def _compare_and_set(session: Session, change: IncidentChange, now: datetime) -> bool:
    row = SourceIncidentRow
    same = (row.source_id == change.source_id, row.kind == change.old)
    values: dict[str, object] = {"kind": change.new, "detail": change.detail, "opened_at": now}
    if change.old is None and change.new is not None:
        insert = dialect_insert(session, row).values(source_id=change.source_id, **values)
        inserted = insert.on_conflict_do_nothing().returning(row.source_id)
        return session.execute(inserted).scalar() is not None
    elif change.old is not None and change.new is not None:
        result = session.execute(update(row).where(*same).values(values))
    elif change.old is not None:
        result = session.execute(delete(row).where(*same))
    else:
        return False
    return bool(getattr(result, "rowcount", 0) == 1)


def _insert(session: Session, deliveries: Sequence[NewDelivery], now: datetime) -> None:
    for new in deliveries:
        session.add(
            DeliveryRow(
                channel=new.channel,
                target=new.target,
                event=new.event,
                payload=new.payload,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        row.id,
        row.channel,
        row.target,
        row.event,
        row.payload,
        row.status,
        row.attempts,
        row.created_at,
        row.sent_at,
        row.last_error,
    )
