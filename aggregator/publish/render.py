"""Rendering every output from the items the store holds: the feeds (Atom, RSS, JSON Feed), the
latest-news block (HTML and JSON) and the OPML list of sources."""

from __future__ import annotations

from datetime import datetime

from aggregator.clock import local_day
from aggregator.config.types import Config, FeedConfig, Settings
from aggregator.models import StoredItem
from aggregator.publish.block import (
    block_columns,
    block_json,
    block_valid_until,
    render_block,
)
from aggregator.publish.calendar import build_ics
from aggregator.publish.common import content_type_for
from aggregator.publish.gather import block_items, feed_items, pinned_items
from aggregator.publish.jsonfeed import build_json_feed
from aggregator.publish.opml import build_opml
from aggregator.publish.protocols import ItemReader
from aggregator.publish.publishers import Publishers, publishers_of
from aggregator.publish.select import has_calendar
from aggregator.publish.stamp import max_age_expiry
from aggregator.publish.syndication import build_atom, build_rss

Shown = list[tuple[FeedConfig, list[StoredItem]]]


def render_outputs(reader: ItemReader, config: Config, *, now: datetime) -> dict[str, bytes]:
    """Every output document, name -> bytes."""
    return rendered(reader, config, now)[0]


def rendered(
    reader: ItemReader, config: Config, now: datetime
) -> tuple[dict[str, bytes], datetime | None]:
    """Every output document, and when time alone will change one (a feed's max_age drops an
    item, an event in the block is over), if ever."""
    pinned = pinned_items(reader)
    shown = [(feed, feed_items(reader, feed, pinned, now)) for feed in config.feeds]
    publishers = publishers_of(config.sources)
    outputs = dict(_feed_documents(shown, config.settings, publishers))
    in_block = block_items(reader, config.settings, pinned)
    today = local_day(now)
    columns = block_columns(in_block, config.settings, config.feeds, publishers, today=today)
    outputs["latest.html"] = render_block(columns, config.settings).encode("utf-8")
    outputs["latest.json"] = block_json(columns, config.settings)
    outputs["sources.opml"] = build_opml(config)
    changes = [moment for moment in (max_age_expiry(shown), block_valid_until(columns)) if moment]
    return outputs, min(changes, default=None)


def document_bodies(outputs: dict[str, bytes]) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type) as web nodes will serve them."""
    return {
        name: (body, content_type_for(name) or "application/octet-stream")
        for name, body in outputs.items()
    }


def _feed_documents(
    shown: Shown, settings: Settings, publishers: Publishers
) -> list[tuple[str, bytes]]:
    documents = []
    for feed, chosen in shown:
        for suffix, build in (
            (".atom", build_atom),
            (".rss", build_rss),
            (".json", build_json_feed),
        ):
            documents.append((f"{feed.id}{suffix}", build(feed, chosen, settings, publishers)))
        if has_calendar(feed):
            documents.append((f"{feed.id}.ics", build_ics(feed, chosen, settings)))
    return documents
