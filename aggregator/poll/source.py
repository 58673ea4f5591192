"""One source through fetch -> parse -> normalise/classify, touching no database.

The result, `SourceFetch`, is handed to ingest (dedupe + store), which runs where the database is.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from datetime import datetime

import requests

from aggregator.config.types import Config, SourceConfig
from aggregator.errors import AggregatorError, FetchError, SourceGone
from aggregator.fetch.politeness import HostLimiter, fetch_politely
from aggregator.fetch.robots import RobotsCache
from aggregator.models import FetchResult, Item, SourceState
from aggregator.poll.follow import Follow, follow
from aggregator.poll.itemize import ItemMaker, Keys, items_and_keys


@dataclass(frozen=True)
class SourceFetch:
    """What polling one source produced before it reaches the store."""

    source_id: str
    result: FetchResult | None = None
    items: tuple[Item, ...] = ()
    body_hash: str | None = None
    unchanged_body: bool = False  # byte-identical to the last body: parse skipped
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False
    elapsed: float = 0.0
    keys: tuple[Keys, ...] = ()  # the dedupe lookup keys of each item

    @property
    def ok(self) -> bool:
        return self.error is None


def poll_one(
    source: SourceConfig,
    state: SourceState,
    config: Config,
    *,
    session: requests.Session,
    limiter: HostLimiter,
    now: datetime,
    robots: RobotsCache | None = None,
    parse: ItemMaker = items_and_keys,
    known: frozenset[str] | None = None,
) -> SourceFetch:
    """Fetch and parse one source, here or in a pool process (aggregator.poll.pool).

    `known`: the keys the store holds for a source with `[source.detail]` (poll.detail).
    """
    started = time.monotonic()
    how = Follow(source, config, session, limiter, robots, now, parse)
    try:
        result = fetch_politely(source, state, config.settings, session, limiter, robots)
        fetched = followed(from_result(result, source, state, config, now, parse), how, known)
    except SourceGone as exc:
        fetched = SourceFetch(source.id, error=f"gone: {exc}", gone=True)
    except FetchError as exc:
        fetched = SourceFetch(source.id, error=str(exc), retry_after=exc.retry_after)
    except AggregatorError as exc:
        fetched = SourceFetch(source.id, error=str(exc))
    except Exception as exc:  # a bug or an unforeseen input must not stop the other sources
        fetched = SourceFetch(source.id, error=f"unexpected {type(exc).__name__}: {exc}")
    return replace(fetched, elapsed=time.monotonic() - started)


def followed(fetched: SourceFetch, how: Follow, known: frozenset[str] | None) -> SourceFetch:
    """A listing's further pages, then the pages of its new items."""
    if not fetched.items or fetched.result is None:
        return fetched
    items, keys = follow(fetched.result, fetched.items, fetched.keys, how)
    if how.source.detail is None:
        return replace(fetched, items=items, keys=keys)
    from aggregator.poll.detail import with_details  # the HTML parser only where it is used

    items, keys, waiting = with_details(items, keys, known, how)
    if waiting:  # read the listing again next time, not as "not modified"
        result = replace(fetched.result, etag=None, last_modified=None)
        return replace(fetched, result=result, items=items, keys=keys, body_hash=None)
    return replace(fetched, items=items, keys=keys)


def from_result(
    result: FetchResult,
    source: SourceConfig,
    state: SourceState,
    config: Config,
    now: datetime,
    parse: ItemMaker,
) -> SourceFetch:
    """Items of a fetched body; none when it is unchanged (304, or the same bytes as last time)."""
    if result.not_modified or result.body is None:
        return SourceFetch(source.id, result=result)
    body_hash = hashlib.sha256(result.body).hexdigest()
    if body_hash == state.body_hash and state.url == source.url:
        return SourceFetch(source.id, result=result, body_hash=body_hash, unchanged_body=True)
    items, keys = parse(result, source, config, now)
    return SourceFetch(
        source.id, result=result, items=tuple(items), body_hash=body_hash, keys=tuple(keys)
    )
