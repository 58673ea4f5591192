"""A parsing task for tests/test_parsepool.py; importable by the spawned worker processes."""

from __future__ import annotations

import os
import time
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


def slow_or_crash(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> tuple[list[Item], list[Keys] | None]:
    """The crasher dies while the other sources are still being parsed beside it."""
    time.sleep(0.2 if source.id == "crasher" else 0.6)
    return crash_on_crasher(result, source, config, now)
