"""Initial schema: sources, items, sightings, item_keys, audit.

Revision ID: 0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_sources()
    create_items()
    create_sightings()
    create_item_keys()
    create_audit()


def create_sources() -> None:
    op.create_table(
        "sources",
        sa.Column("source_id", sa.String(200), primary_key=True),
        sa.Column("url", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("body_hash", sa.String(128)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_polled_at", UTC_TIME),
        sa.Column("last_success_at", UTC_TIME),
        sa.Column("last_error", sa.Text),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("next_poll_at", UTC_TIME),
        sa.Column("moved_to", sa.Text),
        sa.Column("items_found", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_until", UTC_TIME),
    )


def item_fields() -> list[sa.Column[object]]:
    """The visible fields an item copies from its representative sighting."""
    return [
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("canonical_url", sa.Text),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("content_html", sa.Text),
        sa.Column("published", UTC_TIME, nullable=False),
        sa.Column("updated", UTC_TIME, nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("event_date", sa.Date),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("review_type", sa.String(20)),
    ]


def create_items() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(100), nullable=False, unique=True),
        *item_fields(),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("representative_id", sa.Integer),
        sa.Column("category_override", sa.String(20)),
        sa.Column("review_type_override", sa.String(20)),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("merged_into", sa.Integer),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index(
        "ix_items_listing", "items", ["deleted", "hidden", "category", sa.text("published DESC")]
    )
    op.create_index("ix_items_published", "items", [sa.text("published DESC")])


def create_sightings() -> None:
    op.create_table(
        "sightings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("first_seen", UTC_TIME, nullable=False),
        sa.Column("last_seen", UTC_TIME, nullable=False),
        *item_fields(),
        sa.Column("source_categories", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("lookup_keys", sa.JSON, nullable=False),
        sa.UniqueConstraint("source_id", "source_key", name="uq_sightings_source_key"),
    )
    op.create_index("ix_sightings_item_id", "sightings", ["item_id"])


def create_item_keys() -> None:
    op.create_table(
        "item_keys",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), primary_key=True),
    )
    op.create_index("ix_item_keys_item_id", "item_keys", ["item_id"])


def create_audit() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_audit_item_id", "audit", ["item_id"])


def downgrade() -> None:
    for table in ("audit", "item_keys", "sightings", "items", "sources"):
        op.drop_table(table)
