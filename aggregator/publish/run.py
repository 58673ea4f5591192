"""The one publish run: render every output, write the changed files, store the documents for
web nodes, and tell the WebSub hub which feeds changed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

import requests

from aggregator.config.types import Config, FeedConfig, Settings
from aggregator.errors import AggregatorError
from aggregator.models import StoredItem
from aggregator.publish.atomic import remove_stale_temps, write_if_changed
from aggregator.publish.block import block_columns, block_json, render_block
from aggregator.publish.common import content_type_for
from aggregator.publish.gather import ItemReader, block_items, feed_items, pinned_items
from aggregator.publish.jsonfeed import build_json_feed
from aggregator.publish.opml import build_opml
from aggregator.publish.stamp import (
    PublishStamp,
    config_fingerprint,
    outputs_present,
    read_stamp,
    valid_until,
    write_stamp,
)
from aggregator.publish.syndication import build_atom, build_rss
from aggregator.publish.websub import ping_websub

log = logging.getLogger(__name__)
Shown = list[tuple[FeedConfig, list[StoredItem]]]


class PublishStore(ItemReader, Protocol):
    """What a publish run needs from the store: the items, whether they changed since the last
    run, and a place for the documents."""

    def content_version(self) -> int: ...

    def save_documents(
        self, docs: Mapping[str, tuple[bytes, str]], *, now: datetime
    ) -> list[str]: ...


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
    outputs, shown = _render(store, config, now)
    changed = write_outputs(outputs, feeds_dir)
    store.save_documents(document_bodies(outputs), now=now)
    write_stamp(feeds_dir, replace(stamp, valid_until=valid_until(shown)))
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


def render_outputs(reader: ItemReader, config: Config, *, now: datetime) -> dict[str, bytes]:
    """Every output document, name -> bytes."""
    return _render(reader, config, now)[0]


def _render(reader: ItemReader, config: Config, now: datetime) -> tuple[dict[str, bytes], Shown]:
    """Every output document, and the items each feed shows."""
    pinned = pinned_items(reader)
    shown = [(feed, feed_items(reader, feed, pinned, now)) for feed in config.feeds]
    outputs = dict(_feed_documents(shown, config.settings))
    in_block = block_items(reader, config.settings, pinned)
    columns = block_columns(in_block, config.settings, config.feeds)
    outputs["latest.html"] = render_block(columns, config.settings).encode("utf-8")
    outputs["latest.json"] = block_json(columns, config.settings)
    outputs["sources.opml"] = build_opml(config)
    return outputs, shown


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


def document_bodies(outputs: dict[str, bytes]) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type) as web nodes will serve them."""
    return {
        name: (body, content_type_for(name) or "application/octet-stream")
        for name, body in outputs.items()
    }


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
    try:
        ping_websub(hub, urls, session())
    except AggregatorError as exc:
        log.warning("websub ping failed hub=%s error=%s", hub, exc)


def _feed_documents(shown: Shown, settings: Settings) -> list[tuple[str, bytes]]:
    documents = []
    for feed, chosen in shown:
        documents.append((f"{feed.id}.atom", build_atom(feed, chosen, settings)))
        documents.append((f"{feed.id}.rss", build_rss(feed, chosen, settings)))
        documents.append((f"{feed.id}.json", build_json_feed(feed, chosen, settings)))
    return documents
