"""One write transaction of ingest: candidates, decisions applied, sources' states saved.

Storage.write hands a Transaction to a function and commits once when it returns, so a
source's items and its polling state (or several sources') cost one commit, and every read
inside sees the transaction's own writes.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import fields
from datetime import datetime

from sqlalchemy.orm import Session

from aggregator.models import Candidate, Decision, SourceState
from aggregator.store.changes import note_change
from aggregator.store.ingest.apply import apply_decisions
from aggregator.store.ingest.batch import CandidateIndex, candidate_index, find_candidates
from aggregator.store.ingest.keylock import Redecide, lock_keys
from aggregator.store.rawsql import Raw, table_of
from aggregator.store.schema import SourceRow

STATE_FIELDS = tuple(f.name for f in fields(SourceState))
_SOURCES = table_of(SourceRow)


class Transaction:
    """What ingest reads and writes, inside one transaction (see Storage.write)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.changed = False  # an item created or changed: the content version grows at finish

    def candidates(self, keys: Sequence[str]) -> list[Candidate]:
        """Items sharing any key (tombstones included, deleted=True), by item id."""
        return find_candidates(self.session, keys) if keys else []

    def lock_keys(self, keys: Sequence[str]) -> None:
        """Hold these lookup keys until the commit (PostgreSQL; see keylock)."""
        lock_keys(self.session, keys)

    def candidate_index(self, keys: Sequence[str]) -> CandidateIndex:
        """Candidates for many items' keys in one read (see `candidates`)."""
        return candidate_index(self.session, keys)

    def apply(
        self,
        decisions: Sequence[Decision],
        *,
        now: datetime,
        redecide: Redecide | None = None,
        free_keys: Set[str] = frozenset(),
    ) -> list[int]:
        """Apply decisions (see Storage.apply); return ids of items created or changed.

        `free_keys`: keys that no item held when this transaction read candidates for them
        (none written since), so new items holding only those need no second look.
        """
        if not decisions:
            return []
        touched = apply_decisions(self.session, decisions, now, redecide, free_keys)
        self.changed = self.changed or bool(touched)
        return touched

    def save_source_states(self, states: Sequence[SourceState]) -> None:
        """Insert or replace each source's polling state."""
        if not states:
            return
        rows = [[getattr(state, name) for name in STATE_FIELDS] for state in states]
        raw = Raw.of(self.session)
        quoted = [raw.quote(name) for name in STATE_FIELDS[1:]]
        updates = ", ".join(f"{name} = excluded.{name}" for name in quoted)
        upsert = f"ON CONFLICT (source_id) DO UPDATE SET {updates}"
        raw.insert(_SOURCES, STATE_FIELDS, rows, upsert)
        raw.flush()

    def finish(self) -> None:
        """Send what waits to be written (before the commit)."""
        Raw.of(self.session).flush()
        if self.changed:
            note_change(self.session)
