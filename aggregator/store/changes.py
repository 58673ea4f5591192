"""The content version: one number that every change to what is published increases.

Changes bump it as the last write of their own transaction (so the row is locked only until
that commit); a publish run reads it before rendering and records what it rendered.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from aggregator.store.engine import run_read
from aggregator.store.schema import ContentVersionRow

ROW_ID = 1


def note_change(session: Session) -> None:
    """Something published changed in this transaction."""
    bump = update(ContentVersionRow).where(ContentVersionRow.id == ROW_ID)
    session.execute(bump.values(version=ContentVersionRow.version + 1))


class ChangeStore:
    """Storage method reading the content version; needs `self.engine`."""

    engine: Engine

    def content_version(self) -> int:
        """A number that grows whenever anything published (items, curation) changes."""
        query = select(ContentVersionRow.version).where(ContentVersionRow.id == ROW_ID)
        return run_read(self.engine, "reading the content version", lambda s: s.scalar(query) or 0)
