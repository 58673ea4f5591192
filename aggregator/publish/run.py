"""The one publish run: render every output, write the changed files, store the documents for
web nodes, and tell the WebSub hub which feeds changed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Protocol

import requests

from aggregator.config.types import Config, Settings
from aggregator.errors import AggregatorError
from aggregator.models import StoredItem
from aggregator.publish.atomic import remove_stale_temps, write_if_changed
from aggregator.publish.block import block_columns, block_json, render_block
from aggregator.publish.common import content_type_for
from aggregator.publish.gather import ItemReader, block_items, feed_items, pinned_items
from aggregator.publish.jsonfeed import build_json_feed
from aggregator.publish.opml import build_opml
from aggregator.publish.syndication import build_atom, build_rss
from aggregator.publish.websub import ping_websub

log = logging.getLogger(__name__)


class PublishStore(ItemReader, Protocol):
    """What a publish run needs from the store: the items, and a place for the documents."""

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
) -> list[Path]:
    """Regenerate every output into `feeds_dir` and the store; return the files that changed.

    `session` makes the HTTP session for the WebSub ping (default: the fetcher's)."""
    outputs = render_outputs(store, config, now=now)
    changed = write_outputs(outputs, feeds_dir)
    store.save_documents(document_bodies(outputs), now=now)
    if config.settings.websub_hub and changed:
        _ping_hub(config.settings, changed, session)
    return changed


def render_outputs(reader: ItemReader, config: Config, *, now: datetime) -> dict[str, bytes]:
    """Every output document, name -> bytes."""
    pinned = pinned_items(reader)
    outputs = dict(_feed_documents(reader, pinned, config, now))
    shown = block_items(reader, config.settings, pinned)
    columns = block_columns(shown, config.settings, config.feeds)
    outputs["latest.html"] = render_block(columns, config.settings).encode("utf-8")
    outputs["latest.json"] = block_json(columns, config.settings)
    outputs["sources.opml"] = build_opml(config)
    return outputs


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


def _feed_documents(
    reader: ItemReader, pinned: list[StoredItem], config: Config, now: datetime
) -> list[tuple[str, bytes]]:
    documents = []
    for feed in config.feeds:
        chosen = feed_items(reader, feed, pinned, now)
        documents.append((f"{feed.id}.atom", build_atom(feed, chosen, config.settings)))
        documents.append((f"{feed.id}.rss", build_rss(feed, chosen, config.settings)))
        documents.append((f"{feed.id}.json", build_json_feed(feed, chosen, config.settings)))
    return documents
