"""The console without the scheduler (`aggregator serve --admin`): web nodes beside workers.

Edits to sources.toml are picked up by whichever `run`/`worker` process watches the file;
"poll now" polls in the web process itself and publishes what changed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aggregator.admin.app import AdminApp
from aggregator.admin.console import Console
from aggregator.config import ConfigWatcher
from aggregator.config.types import Config
from aggregator.errors import ConfigErrors
from aggregator.models import PollOutcome
from aggregator.store import Storage

log = logging.getLogger(__name__)


def standalone_admin(
    storage: Storage, sources_path: Path, feeds_dir: Path, *, trust_proxy: bool = False
) -> AdminApp:
    watcher = ConfigWatcher(sources_path, lambda _config: None, _report)

    def config() -> Config:
        watcher.check_now()  # small file: re-read on each request, keep the last good version
        return watcher.current

    def republish() -> None:
        from aggregator.poll.poller import utcnow
        from aggregator.runtime.service import publish

        publish(storage, config(), feeds_dir, utcnow())

    def poll_now(source_id: str) -> PollOutcome:
        from aggregator.poll.poller import Poller

        current = config()
        source = current.source(source_id)
        if source is None:
            return PollOutcome(source_id, ok=False, error="no such source")
        outcome = Poller.create(current, storage, workers=1).poll([source])[0]
        if outcome.new or outcome.updated or outcome.merged:
            republish()
        return outcome

    console = Console(
        storage=storage,
        config=config,
        sources_path=sources_path,
        feeds_dir=feeds_dir,
        reload=watcher.check_now,
        republish=republish,
        poll_now=poll_now,
        trust_proxy=trust_proxy,
    )
    return AdminApp(console)


def _report(errors: ConfigErrors) -> None:
    for error in errors.errors:
        log.error("config rejected, keeping the last good one: %s", error)
