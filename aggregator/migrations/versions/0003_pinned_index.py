"""A partial index of the pinned items, so publishing finds them without a table scan.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PINNED = sa.column("pinned").is_(True)  # the same test publishing's query makes


def upgrade() -> None:
    op.create_index(
        "ix_items_pinned",
        "items",
        [sa.text("published DESC")],
        sqlite_where=PINNED,
        postgresql_where=PINNED,
    )


def downgrade() -> None:
    op.drop_index("ix_items_pinned", table_name="items")
