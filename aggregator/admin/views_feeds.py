"""Feeds: each output feed with its item count, last change and links to what is published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aggregator.admin.http import Response
from aggregator.admin.routing import Page, Route
from aggregator.clock import utcnow
from aggregator.config.types import FeedConfig
from aggregator.publish.select import select_items

FORMATS = (("atom", "Atom"), ("rss", "RSS"), ("json", "JSON Feed"))


@dataclass(frozen=True)
class FeedRow:
    feed: FeedConfig
    count: int
    changed: datetime | None  # when feeds/<id>.atom was last rewritten


def list_feeds(page: Page) -> Response:
    config = page.console.config()
    now = utcnow()
    items = page.console.storage.items()
    rows = [
        FeedRow(feed, len(select_items(items, feed, now)), _mtime(page, f"{feed.id}.atom"))
        for feed in config.feeds
    ]
    # The same server publishes the feeds at its root, next to the console's mount point.
    base = page.request.root.rpartition("/")[0] + "/"
    return page.render("feeds.html", rows=rows, formats=FORMATS, base=base, now=now)


def _mtime(page: Page, name: str) -> datetime | None:
    path = page.console.feeds_dir / name
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


ROUTES = [Route("GET", "/feeds", list_feeds)]
