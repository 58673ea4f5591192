"""Publishing: the renderers (Atom/RSS/JSON Feed, OPML, the latest-news block) and the one publish
run (render, write, store the documents, ping WebSub); reads items through a Protocol, never
imports the store.

Names are loaded on first use, so that a run in which nothing changed (see publish.stamp) never
imports the renderers and their libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aggregator.publish.atomic import write_if_changed as write_if_changed
    from aggregator.publish.block import render_block as render_block
    from aggregator.publish.block import truncate_summary as truncate_summary
    from aggregator.publish.jsonfeed import build_json_feed as build_json_feed
    from aggregator.publish.opml import build_opml as build_opml
    from aggregator.publish.opml import parse_opml as parse_opml
    from aggregator.publish.protocols import ItemReader as ItemReader
    from aggregator.publish.protocols import PublishStore as PublishStore
    from aggregator.publish.render import render_outputs as render_outputs
    from aggregator.publish.run import publish as publish
    from aggregator.publish.run import write_outputs as write_outputs
    from aggregator.publish.select import select_items as select_items
    from aggregator.publish.syndication import build_atom as build_atom
    from aggregator.publish.syndication import build_rss as build_rss
    from aggregator.publish.websub import ping_websub as ping_websub

_HOMES = {
    "write_if_changed": "atomic",
    "render_block": "block",
    "truncate_summary": "block",
    "ItemReader": "protocols",
    "build_json_feed": "jsonfeed",
    "build_opml": "opml",
    "parse_opml": "opml",
    "PublishStore": "protocols",
    "publish": "run",
    "render_outputs": "render",
    "write_outputs": "run",
    "select_items": "select",
    "build_atom": "syndication",
    "build_rss": "syndication",
    "ping_websub": "websub",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
