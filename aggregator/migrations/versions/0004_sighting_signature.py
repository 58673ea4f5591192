"""Each sighting keeps dedupe's compact signature (JSON), so candidates are judged without
recomputing anything from their text. Sightings stored before it have none: dedupe computes
theirs from their title and summary when it meets them. An item whose grouping a curator set
(a merge or a split) is marked, so that dedupe never regroups it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sightings", sa.Column("signature", sa.Text(), nullable=True))
    op.add_column(
        "items",
        sa.Column("grouped_by_hand", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("items", "grouped_by_hand")
    op.drop_column("sightings", "signature")
