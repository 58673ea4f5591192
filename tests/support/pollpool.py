"""Polling tasks for tests/test_pollpool.py; importable by the spawned pool processes."""

from __future__ import annotations

import os
import time

from aggregator.config.types import Config
from aggregator.poll.pool import PollJob, ProcessKit
from aggregator.poll.source import SourceFetch


def crash_on_crasher(job: PollJob, config: Config, kit: ProcessKit) -> SourceFetch:
    """Kills its pool process for the source "crasher", as a segfault or the OOM killer would;
    the others answer with their id and worker's pid (as keys: a field that crosses back)."""
    if job.source.id == "crasher":
        os._exit(3)
    return SourceFetch(job.source.id, keys=((job.source.id, str(os.getpid())),))


def slow_or_crash(job: PollJob, config: Config, kit: ProcessKit) -> SourceFetch:
    """The crasher dies while the other sources are still being polled beside it."""
    time.sleep(0.3 if job.source.id == "crasher" else 1.0)
    return crash_on_crasher(job, config, kit)
