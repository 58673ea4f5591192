"""Joint review types: the review types an item also is besides its review_type (a joint
DHR/SAR), kept per sighting, shown from the representative, and a curator's choice
(joint_types_override, NULL: none made) set with the review type.

Existing review sightings get the joint types their title (and a learning product's summary)
names.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aggregator.normalise.classify import joint_types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 1000


def upgrade() -> None:
    for table in ("sightings", "items"):
        empty = sa.Column("joint_types", sa.JSON(), nullable=False, server_default="[]")
        op.add_column(table, empty)
    op.add_column("items", sa.Column("joint_types_override", sa.JSON(), nullable=True))
    _backfill()


def _backfill() -> None:
    sightings = sa.table(
        "sightings",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.Text()),
        sa.column("summary", sa.Text()),
        sa.column("category", sa.String()),
        sa.column("review_type", sa.String()),
        sa.column("joint_types", sa.JSON()),
    )
    bind = op.get_bind()
    query = sa.select(sightings.c.id, sightings.c.title, sightings.c.summary,
                      sightings.c.review_type).where(sightings.c.category == "reviews")  # fmt: skip
    found = []
    for sighting_id, title, summary, review_type in bind.execute(query):
        joint = joint_types(review_type, title or "", summary or "")
        if joint:
            found.append({"sid": sighting_id, "joint": list(joint)})
    update = (
        sa.update(sightings)
        .where(sightings.c.id == sa.bindparam("sid"))
        .values(joint_types=sa.bindparam("joint", type_=sa.JSON()))
    )
    for start in range(0, len(found), _CHUNK):
        bind.execute(update, found[start : start + _CHUNK])
    op.execute(
        "UPDATE items SET joint_types = (SELECT s.joint_types FROM sightings s"
        " WHERE s.id = items.representative_id)"
        " WHERE EXISTS (SELECT 1 FROM sightings s WHERE s.id = items.representative_id)"
    )


def downgrade() -> None:
    op.drop_column("items", "joint_types_override")
    op.drop_column("items", "joint_types")
    op.drop_column("sightings", "joint_types")
