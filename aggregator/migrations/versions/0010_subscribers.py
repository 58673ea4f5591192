"""Digest subscribers: only the address and its choices, and the claimed sending state (the end
of the last period sent, a lease while one process sends, failures for backoff).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("feeds", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("confirmed_at", UTC_TIME, nullable=False),
        sa.Column("sent_until", UTC_TIME, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", UTC_TIME),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claimed_until", UTC_TIME),
    )


def downgrade() -> None:
    op.drop_table("subscribers")
