"""A source's health as the console shows it: pure functions over config and stored state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.config.types import SourceConfig
from aggregator.models import SourceState

STATUS_LABELS = {
    "new": "not polled yet",
    "ok": "ok",
    "error": "error",
    "backoff": "backing off",
    "moved": "moved",
    "gone": "gone",
    "disabled": "disabled",
}


@dataclass(frozen=True)
class SourceHealth:
    source: SourceConfig
    state: SourceState
    status: str  # one of STATUS_LABELS' values

    @property
    def attention(self) -> bool:
        return self.status in ("error", "backing off", "moved", "gone")


def source_status(source: SourceConfig, state: SourceState) -> str:
    if not source.enabled:
        return "disabled"
    return STATUS_LABELS.get(state.status, state.status)


def source_health(
    sources: tuple[SourceConfig, ...], states: list[SourceState]
) -> list[SourceHealth]:
    by_id = {state.source_id: state for state in states}
    rows = []
    for source in sources:
        state = by_id.get(source.id, SourceState(source.id))
        rows.append(SourceHealth(source, state, source_status(source, state)))
    return rows


def duration_text(seconds: float) -> str:
    """3600 -> "1h", 5400 -> "90m", 45 -> "45s": the shortest exact form."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def when(moment: datetime | None, now: datetime) -> str:
    """A short, relative description of a moment ("3m ago", "in 2h 5m", "never")."""
    if moment is None:
        return "never"
    seconds = int((moment - now).total_seconds())
    span = rough_span(abs(seconds))
    return f"in {span}" if seconds > 0 else f"{span} ago"


def rough_span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
