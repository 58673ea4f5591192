"""Themes: every sighting keeps the themes its text and the rules gave it, an item shows its
representative sighting's, and a curator's choice (themes_override, NULL: none made) wins.

Existing sightings get the themes of the default heuristics (admin rules apply from their next
change on).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aggregator.normalise.themes import find_themes

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 1000


def upgrade() -> None:
    op.add_column("sightings", sa.Column("themes", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("items", sa.Column("themes", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("items", sa.Column("themes_override", sa.JSON(), nullable=True))
    _backfill()


def _backfill() -> None:
    sightings = sa.table(
        "sightings",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.Text()),
        sa.column("summary", sa.Text()),
        sa.column("source_categories", sa.JSON()),
        sa.column("themes", sa.JSON()),
    )
    bind = op.get_bind()
    query = sa.select(sightings.c.id, sightings.c.title, sightings.c.summary,
                      sightings.c.source_categories).order_by(sightings.c.id)  # fmt: skip
    found = []
    for sighting_id, title, summary, categories in bind.execute(query):
        themes = find_themes(title or "", summary or "", tuple(categories or ()))
        if themes:
            found.append({"sid": sighting_id, "themes": list(themes)})
    update = (
        sa.update(sightings)
        .where(sightings.c.id == sa.bindparam("sid"))
        .values(themes=sa.bindparam("themes", type_=sa.JSON()))
    )
    for start in range(0, len(found), _CHUNK):
        bind.execute(update, found[start : start + _CHUNK])
    op.execute(
        "UPDATE items SET themes = (SELECT s.themes FROM sightings s"
        " WHERE s.id = items.representative_id)"
        " WHERE EXISTS (SELECT 1 FROM sightings s WHERE s.id = items.representative_id)"
    )


def downgrade() -> None:
    op.drop_column("items", "themes_override")
    op.drop_column("items", "themes")
    op.drop_column("sightings", "themes")
