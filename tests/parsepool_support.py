"""A parsing task for tests/test_parsepool.py; importable by the spawned worker processes."""

from __future__ import annotations

import os
from datetime import datetime

from aggregator.config.types import Config, SourceConfig
from aggregator.itemize import Keys
from aggregator.models import FetchResult, Item


def crash_on_crasher(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> tuple[list[Item], list[Keys] | None]:
    """Kills its worker process for the source "crasher", as a segfault or the OOM killer would."""
    if source.id == "crasher":
        os._exit(3)
    return [], [(source.id, result.url)]
