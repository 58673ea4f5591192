"""When a source has a problem worth an admin's attention, and when that incident changes.

Pure: the caller reads the sources' states and open incidents, and applies what comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from aggregator.models import SourceState

FAILING, IDLE, MOVED, GONE = "failing", "idle", "moved", "gone"


@dataclass(frozen=True)
class Rules:
    after_failures: int = 5  # failed polls in a row
    idle: float = 120 * 86400.0  # seconds without a new entry


@dataclass(frozen=True)
class Problem:
    kind: str  # failing | idle | moved | gone
    detail: str


@dataclass(frozen=True)
class Transition:
    """A source's incident moving from `old` to `new` (None: no incident)."""

    source_id: str
    old: Problem | None
    new: Problem | None

    @property
    def recovered(self) -> bool:
        return self.new is None


def problem_of(
    state: SourceState, last_new_at: datetime | None, rules: Rules, now: datetime
) -> Problem | None:
    """The source's one current problem, the gravest first (gone, moved, failing, idle)."""
    if state.status == "gone":
        return Problem(GONE, f"the source is gone (410): {state.last_error or ''}".rstrip(": "))
    if state.moved_to:
        return Problem(MOVED, f"the source moved permanently to {state.moved_to}")
    if state.error_count >= rules.after_failures:
        return Problem(
            FAILING, f"{state.error_count} failed polls in a row; last: {state.last_error or '?'}"
        )
    if last_new_at is not None and (now - last_new_at).total_seconds() >= rules.idle:
        days = (now - last_new_at).days
        return Problem(IDLE, f"nothing new for {days} days (since {last_new_at:%Y-%m-%d})")
    return None


def transitions(
    states: Iterable[SourceState],
    open_incidents: Mapping[str, Problem],
    last_new_at: Mapping[str, datetime],
    rules: Rules,
    now: datetime,
) -> list[Transition]:
    """The incidents that open, change kind or close, given the sources' states now.

    A source never polled yet ("new") keeps whatever incident it has: there is nothing to judge.
    """
    found = []
    for state in states:
        if state.status == "new":
            continue
        old = open_incidents.get(state.source_id)
        new = problem_of(state, last_new_at.get(state.source_id), rules, now)
        if (old and old.kind) != (new and new.kind):
            found.append(Transition(state.source_id, old, new))
    return found
