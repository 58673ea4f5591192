"""Publishing: the renderers (Atom/RSS/JSON Feed, OPML, the latest-news block) and the one publish
run (render, write, store the documents, ping WebSub); reads items through a Protocol, never
imports the store.
"""

from aggregator.publish.atomic import write_if_changed
from aggregator.publish.block import render_block, truncate_summary
from aggregator.publish.gather import ItemReader
from aggregator.publish.jsonfeed import build_json_feed
from aggregator.publish.opml import build_opml, parse_opml
from aggregator.publish.run import (
    PublishStore,
    publish,
    render_outputs,
    write_outputs,
)
from aggregator.publish.select import select_items
from aggregator.publish.syndication import build_atom, build_rss
from aggregator.publish.websub import ping_websub

__all__ = [
    "ItemReader",
    "PublishStore",
    "build_atom",
    "build_json_feed",
    "build_opml",
    "build_rss",
    "parse_opml",
    "ping_websub",
    "publish",
    "render_block",
    "render_outputs",
    "select_items",
    "truncate_summary",
    "write_if_changed",
    "write_outputs",
]
