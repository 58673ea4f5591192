"""Which retention limits apply to a source: its own, else the `[settings]` defaults."""

from __future__ import annotations

from datetime import datetime

from aggregator.config.types import Config, SourceConfig, own_or_default
from aggregator.store import Storage


def limits(config: Config, source: SourceConfig) -> tuple[float | None, int | None]:
    """(max age in seconds, max items); None means unlimited."""
    settings = config.settings
    max_age = own_or_default(source.max_item_age, settings.max_item_age)
    max_items = own_or_default(source.max_items, settings.max_items_per_source)
    return max_age, max_items


def prune_source(storage: Storage, config: Config, source: SourceConfig, now: datetime) -> int:
    """Tombstone what the source holds beyond its limits (after a successful poll)."""
    max_age, max_items = limits(config, source)
    if max_age is None and max_items is None:
        return 0
    return storage.prune(source.id, max_age=max_age, max_items=max_items, now=now)
