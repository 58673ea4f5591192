"""The one publish run: render every output, write the changed files, store the documents for
web nodes, and tell the WebSub hub which feeds changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aggregator.config.types import Config, Settings
from aggregator.errors import AggregatorError
from aggregator.publish.atomic import remove_stale_temps, write_if_changed
from aggregator.publish.protocols import PublishStore
from aggregator.publish.stamp import (
    PublishStamp,
    config_fingerprint,
    outputs_present,
    read_stamp,
    write_stamp,
)

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)


def publish(
    store: PublishStore,
    config: Config,
    feeds_dir: Path,
    *,
    now: datetime,
    session: Callable[[], requests.Session] | None = None,
    force: bool = False,
) -> list[Path]:
    """Regenerate every output into `feeds_dir` and the store; return the files that changed.

    Does nothing when nothing changed since the last run (see publish.stamp) unless `force`.
    `session` makes the HTTP session for the WebSub ping (default: the fetcher's)."""
    # Read before rendering: a change stored meanwhile leaves the stamp behind, so it is
    # published by the next run.
    stamp = PublishStamp(store.content_version(), config_fingerprint(config))
    if not force and _still_current(stamp, config, feeds_dir, now):
        log.debug("publish: nothing changed since content version %d", stamp.content_version)
        return []
    # The renderers and their libraries load only when there is something to render.
    from aggregator.publish.render import document_bodies, rendered

    outputs, changes_at = rendered(store, config, now)
    changed = write_outputs(outputs, feeds_dir)
    store.save_documents(document_bodies(outputs), now=now)
    until = changes_at.isoformat() if changes_at else None
    write_stamp(feeds_dir, replace(stamp, valid_until=until))
    if config.settings.websub_hub and changed:
        _ping_hub(config.settings, changed, session)
    return changed


def _still_current(stamp: PublishStamp, config: Config, feeds_dir: Path, now: datetime) -> bool:
    last = read_stamp(feeds_dir)
    return (
        last is not None
        and last.is_current(stamp.content_version, stamp.config, now)
        and outputs_present(feeds_dir, config)
    )


def write_outputs(outputs: dict[str, bytes], feeds_dir: Path) -> list[Path]:
    """Write each output atomically where its bytes changed; return those files."""
    if feeds_dir.is_dir():
        remove_stale_temps(feeds_dir)
    changed = [
        feeds_dir / name
        for name, data in outputs.items()
        if write_if_changed(feeds_dir / name, data)
    ]
    if changed:
        log.info(
            "published %d changed file(s): %s", len(changed), ", ".join(p.name for p in changed)
        )
    return changed


def _ping_hub(
    settings: Settings, changed: list[Path], session: Callable[[], requests.Session] | None
) -> None:
    hub = settings.websub_hub
    assert hub is not None
    if session is None:
        from aggregator.fetch.client import new_session

        session = new_session
    site = settings.site_url.rstrip("/")
    urls = [f"{site}/{path.name}" for path in changed if path.suffix in (".atom", ".rss")]
    from aggregator.publish.websub import ping_websub

    try:
        ping_websub(hub, urls, session())
    except AggregatorError as exc:
        log.warning("websub ping failed hub=%s error=%s", hub, exc)
