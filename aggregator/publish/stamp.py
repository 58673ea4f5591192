"""What the last publish run rendered, kept beside the outputs, so that a run in which nothing
changed does nothing.

A run is current when the store's content version, the configuration and the rendering code
are those the stamp recorded, every output is still on disk, and no feed's `max_age` has since
dropped an item it showed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from aggregator import __version__
from aggregator.config.types import Config, FeedConfig
from aggregator.models import StoredItem
from aggregator.publish.atomic import write_if_changed
from aggregator.publish.select import as_utc, has_calendar

STAMP_NAME = ".published.json"  # a dot name: never served, never listed with the outputs
RENDERING = f"{__version__}/4"  # raise the suffix when the same items start to render otherwise


@dataclass(frozen=True)
class PublishStamp:
    content_version: int
    config: str  # config_fingerprint of the configuration rendered
    valid_until: str | None = None  # ISO time when time alone changes an output (max_age, events)
    rendering: str = RENDERING

    def is_current(self, version: int, fingerprint: str, now: datetime) -> bool:
        """Would rendering now, from this store and configuration, give the same outputs?"""
        return (
            self.content_version == version
            and self.config == fingerprint
            and self.rendering == RENDERING
            and (self.valid_until is None or as_utc(now) < datetime.fromisoformat(self.valid_until))
        )


def config_fingerprint(config: Config) -> str:
    """Any change to the configuration (feeds, settings, sources for the OPML) or to the block's
    own template changes this; where the configuration file lies does not."""
    digest = hashlib.sha256(repr((config.settings, config.sources, config.feeds)).encode())
    if config.settings.block_template:
        try:
            digest.update(Path(config.settings.block_template).read_bytes())
        except OSError:
            digest.update(b"(template unreadable)")
    return digest.hexdigest()


def output_names(config: Config) -> list[str]:
    feeds = [f"{feed.id}{suffix}" for feed in config.feeds for suffix in (".atom", ".rss", ".json")]
    calendars = [f"{feed.id}.ics" for feed in config.feeds if has_calendar(feed)]
    return [*feeds, *calendars, "latest.html", "latest.json", "sources.opml"]


def outputs_present(feeds_dir: Path, config: Config) -> bool:
    return all((feeds_dir / name).is_file() for name in output_names(config))


def read_stamp(feeds_dir: Path) -> PublishStamp | None:
    """The last run's stamp; None when there is none or it cannot be read (publish in full)."""
    try:
        fields = json.loads((feeds_dir / STAMP_NAME).read_bytes())
        return PublishStamp(**fields)
    except (OSError, ValueError, TypeError):
        return None


def write_stamp(feeds_dir: Path, stamp: PublishStamp) -> None:
    write_if_changed(feeds_dir / STAMP_NAME, json.dumps(asdict(stamp), sort_keys=True).encode())


def max_age_expiry(shown: Iterable[tuple[FeedConfig, list[StoredItem]]]) -> datetime | None:
    """When the first item shown in a feed with a max_age grows too old for it, if ever."""
    expiries = [
        as_utc(item.published) + timedelta(seconds=feed.max_age)
        for feed, items in shown
        if feed.max_age is not None
        for item in items
    ]
    return min(expiries, default=None)
