"""SQLAlchemy 2 typed declarative models: the tables the store keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware UTC datetime (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only accepts aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    __tablename__ = "sources"

    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), default="new")
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moved_to: Mapped[str | None] = mapped_column(Text)
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ItemRow(Base):
    """One published item; its visible fields are copied from the representative sighting."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str | None] = mapped_column(Text)
    event_date: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    review_type: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(200))  # the representative sighting's source
    # No FK: items and sightings would reference each other in a cycle.
    representative_id: Mapped[int | None] = mapped_column(Integer)
    category_override: Mapped[str | None] = mapped_column(String(20))
    review_type_override: Mapped[str | None] = mapped_column(String(20))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    themes_override: Mapped[list[str] | None] = mapped_column(JSON)  # None: not curated
    joint_types: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    joint_types_override: Mapped[list[str] | None] = mapped_column(JSON)  # set with the type
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into: Mapped[int | None] = mapped_column(Integer)
    # a curator merged or split it: dedupe never regroups it
    grouped_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# What publishing filters and sorts on (the migration creates them; these keep models in step).
Index(
    "ix_items_listing", ItemRow.deleted, ItemRow.hidden, ItemRow.category, ItemRow.published.desc()
)
Index("ix_items_published", ItemRow.published.desc())
Index(  # partial: only queries asking for pinned items can use it
    "ix_items_pinned",
    ItemRow.published.desc(),
    sqlite_where=ItemRow.pinned.is_(True),
    postgresql_where=ItemRow.pinned.is_(True),
)


class SightingRow(Base):
    """One source's announcement of an item, with every field so that a split can restore it."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(200))
    source_key: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str | None] = mapped_column(Text)
    event_date: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    review_type: Mapped[str | None] = mapped_column(String(20))
    source_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    joint_types: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    content_hash: Mapped[str] = mapped_column(String(128), default="")
    lookup_keys: Mapped[list[str]] = mapped_column(JSON, default=list)  # what dedupe gave it
    signature: Mapped[str | None] = mapped_column(Text)  # dedupe's compact signature (JSON)

    __table_args__ = (UniqueConstraint("source_id", "source_key", name="uq_sightings_source_key"),)


class ItemKeyRow(Base):
    """Dedupe lookup keys of an item (canonical URL, title fingerprint, src:<source>:<key>...)."""

    __tablename__ = "item_keys"

    # The primary key (key, item_id) leads with key: it is the index lookups use.
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PublishedDocumentRow(Base):
    """The bytes of every published output, so any web node serves the same bytes and ETag."""

    __tablename__ = "published_documents"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserRow(Base):
    """An admin console user; the password is kept only as an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppSecretRow(Base):
    """Secrets generated once and shared by every node (e.g. the session-signing key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AdminSessionRow(Base):
    """A signed-in console session (store/sessions.py); times in epoch seconds."""

    __tablename__ = "admin_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's id
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[float] = mapped_column(Float)
    seen_at: Mapped[float] = mapped_column(Float)


class SignInAttemptRow(Base):
    """Sign-in attempts of one client address or user name in a window (store/signins.py)."""

    __tablename__ = "signin_attempts"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float, index=True)
    count: Mapped[int] = mapped_column(Integer)


class SourceIncidentRow(Base):
    """A source's open problem (failing, idle, moved, gone): alerts go out when it opens and
    when it closes, and only the process whose write changed it sends them (store/outbox.py)."""

    __tablename__ = "source_incidents"

    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """One alert email or webhook POST to send, claimed by one process at a time, retried with
    backoff (store/outbox.py)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    target: Mapped[str] = mapped_column(Text)  # an address or a webhook URL
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(10))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_deliveries_due", DeliveryRow.status, DeliveryRow.next_attempt_at)


class SubscriberRow(Base):
    """A confirmed digest subscriber: the address, its choices and its sending state
    (store/digests.py). Unconfirmed requests are not stored: the confirmation link carries them."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    feeds: Mapped[list[str]] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(10))  # daily | weekly
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_until: Mapped[datetime] = mapped_column(UTCDateTime)  # the end of the last period sent
    failures: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscribeRequestRow(Base):
    """Subscribe requests counted per period, e.g. per client per hour (store/digests.py)."""

    __tablename__ = "subscribe_requests"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # period + who
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)


class ContentVersionRow(Base):
    """One row: a number that grows with every change to what is published (ingest, curation,
    retention), so a publish run can tell in one read that nothing changed since the last."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
