"""Sign-in attempt counters in the database (per client address and per user name), so every
process shares the sign-in limits and counting is atomic.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signin_attempts",
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_signin_attempts_window_start", "signin_attempts", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_signin_attempts_window_start", table_name="signin_attempts")
    op.drop_table("signin_attempts")
