"""The console without the scheduler (`aggregator serve --admin`): web nodes beside workers.

Edits to sources.toml are picked up by whichever `run`/`worker` process watches the file;
"poll now" polls in the web process itself and publishes what changed.
"""

from __future__ import annotations

from pathlib import Path

from aggregator.admin.app import AdminApp
from aggregator.admin.console import Console
from aggregator.config import ConfigWatcher
from aggregator.config.types import Config
from aggregator.runtime.cycle import Cycle
from aggregator.store import Storage


def standalone_admin(storage: Storage, sources_path: Path, feeds_dir: Path) -> AdminApp:
    watcher = ConfigWatcher(sources_path, lambda config: cycle.take_config(config))
    cycle = Cycle.watching(watcher, storage, feeds_dir, fetches=1)

    def config() -> Config:
        watcher.check_now()  # small file: re-read on each request, keep the last good version
        return watcher.current

    console = Console(
        storage=storage,
        config=config,
        sources_path=sources_path,
        feeds_dir=feeds_dir,
        reload=watcher.check_now,
        republish=cycle.publish,
        poll_now=cycle.poll_now,
    )
    return AdminApp(console)
