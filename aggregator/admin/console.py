"""What the admin console needs from the running service, as plain callables (easy to fake)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aggregator.config.types import Config, SourceConfig
from aggregator.models import PollOutcome
from aggregator.poll.preview import Preview
from aggregator.store import Storage


def preview_source(config: Config, source: SourceConfig) -> Preview:
    """Fetch, parse and normalise one source as if never polled, storing nothing."""
    from aggregator.clock import utcnow
    from aggregator.poll.preview import preview

    return preview(config, source, now=utcnow())


@dataclass
class Console:
    """The service seen from the console.

    `reload` makes the service take up an edited sources.toml now; `republish` regenerates the
    outputs after curation; `poll_now` polls one source at once (storing and publishing).
    """

    storage: Storage
    config: Callable[[], Config]
    sources_path: Path
    feeds_dir: Path
    reload: Callable[[], object]
    republish: Callable[[], object]
    poll_now: Callable[[str], PollOutcome]
    preview: Callable[[Config, SourceConfig], Preview] = preview_source
    clock: Callable[[], float] = time.time
