"""Publishing: curated Atom/RSS/JSON feeds, the OPML source list and the latest-news block."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Protocol

from aggregator.config.types import Config
from aggregator.models import StoredItem
from aggregator.publish.atomic import remove_stale_temps, write_if_changed
from aggregator.publish.block import block_columns, block_json, render_block, truncate_summary
from aggregator.publish.gather import block_items, feed_items, pinned_items
from aggregator.publish.jsonfeed import build_json_feed
from aggregator.publish.opml import build_opml, parse_opml
from aggregator.publish.select import select_items
from aggregator.publish.syndication import build_atom, build_rss
from aggregator.publish.websub import ping_websub

__all__ = [
    "ItemReader",
    "build_atom",
    "build_json_feed",
    "build_opml",
    "build_rss",
    "parse_opml",
    "ping_websub",
    "publish_all",
    "render_block",
    "render_outputs",
    "select_items",
    "truncate_summary",
    "write_if_changed",
    "write_outputs",
]

log = logging.getLogger(__name__)


class ItemReader(Protocol):
    """What publishing needs from the store (`aggregator.store.Storage` is one)."""

    def items(
        self,
        *,
        categories: tuple[str, ...] = ...,
        review_types: tuple[str, ...] = ...,
        sources: tuple[str, ...] = ...,
        search: str | None = ...,
        include_hidden: bool = ...,
        since: datetime | None = ...,
        limit: int | None = ...,
        pinned: bool | None = ...,
    ) -> list[StoredItem]: ...


def publish_all(
    reader: ItemReader, config: Config, feeds_dir: Path, *, now: datetime
) -> list[Path]:
    """Write every output into `feeds_dir`; return the files whose bytes changed."""
    return write_outputs(render_outputs(reader, config, now=now), feeds_dir)


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
