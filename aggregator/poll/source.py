"""One source through fetch -> parse -> normalise/classify, touching no database.

The result, `SourceFetch`, is handed to ingest (dedupe + store), which runs where the database is.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import requests

from aggregator.config.types import Config, Settings, SourceConfig
from aggregator.errors import AggregatorError, FetchError, SourceGone
from aggregator.fetch.client import FetchPolicy, fetch
from aggregator.fetch.politeness import HostLimiter, host_of
from aggregator.fetch.robots import RobotsCache
from aggregator.models import FetchResult, Item, SourceState
from aggregator.parsers.govuk_query import GOVUK_HOST, GOVUK_MIN_INTERVAL
from aggregator.poll.itemize import Keys, to_items

MAX_CRAWL_DELAY = 30.0  # a robots.txt Crawl-delay is honoured up to this many seconds


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
    keys: tuple[tuple[str, ...], ...] | None = None  # dedupe lookup keys of items, if known

    @property
    def ok(self) -> bool:
        return self.error is None


def source_url(source: SourceConfig, state: SourceState) -> str:
    """Where to poll: the configured URL, or where it permanently moved to."""
    if source.type == "govuk-search":
        from aggregator.parsers.govuk_query import build_search_url

        return build_search_url(source)
    if state.moved_to and state.url == source.url:
        return state.moved_to
    return source.url


# Items and, when the maker computed them (aggregator.poll.pool), their dedupe lookup keys.
ItemMaker = Callable[
    [FetchResult, SourceConfig, Config, datetime], tuple[list[Item], list[Keys] | None]
]


def items_here(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> tuple[list[Item], list[Keys] | None]:
    """The ItemMaker parsing in the calling thread; the keys are left to ingest."""
    return to_items(result, source, config, now), None


def polite_delay(url: str, source: SourceConfig, default: float) -> float:
    """The per-host gap for this source; never under what gov.uk asks of API clients."""
    delay = source.per_host_delay if source.per_host_delay is not None else default
    if host_of(url) == GOVUK_HOST:
        return max(delay, GOVUK_MIN_INTERVAL)
    return delay


def host_concurrency(source: SourceConfig, settings: Settings) -> int:
    """Requests at once to the source's host: its own setting, else the `[settings]` one."""
    return source.per_host_concurrency or settings.per_host_concurrency


def robots_apply(source: SourceConfig, settings: Settings) -> bool:
    return source.robots if source.robots is not None else settings.robots


def poll_one(
    source: SourceConfig,
    state: SourceState,
    config: Config,
    *,
    session: requests.Session,
    limiter: HostLimiter,
    now: datetime,
    robots: RobotsCache | None = None,
    parse: ItemMaker = items_here,
) -> SourceFetch:
    """Fetch and parse one source, here or in a polling worker (aggregator.poll.pool)."""
    started = time.monotonic()
    try:
        result = fetch_politely(source, state, config.settings, session, limiter, robots)
        fetched = from_result(result, source, state, config, now, parse)
    except SourceGone as exc:
        fetched = SourceFetch(source.id, error=f"gone: {exc}", gone=True)
    except FetchError as exc:
        fetched = SourceFetch(source.id, error=str(exc), retry_after=exc.retry_after)
    except AggregatorError as exc:
        fetched = SourceFetch(source.id, error=str(exc))
    except Exception as exc:  # a bug or an unforeseen input must not stop the other sources
        fetched = SourceFetch(source.id, error=f"unexpected {type(exc).__name__}: {exc}")
    return replace(fetched, elapsed=time.monotonic() - started)


def fetch_politely(
    source: SourceConfig,
    state: SourceState,
    settings: Settings,
    session: requests.Session,
    limiter: HostLimiter,
    robots: RobotsCache | None,
) -> FetchResult:
    """One fetch within the host's concurrency and delay, after robots.txt allows it."""
    url = source_url(source, state)
    policy = FetchPolicy.from_config(settings, source)
    concurrency = host_concurrency(source, settings)
    delay = polite_delay(url, source, settings.per_host_delay)
    if robots is not None and robots_apply(source, settings):
        rules = robots.check(session, url, policy, lambda u: limiter.slot(u, concurrency, delay))
        delay = max(delay, min(rules.crawl_delay() or 0.0, MAX_CRAWL_DELAY))
    with limiter.slot(url, concurrency, delay):
        return fetch(session, source.id, url, state, policy)


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
    known = tuple(keys) if keys is not None else None
    return SourceFetch(
        source.id, result=result, items=tuple(items), body_hash=body_hash, keys=known
    )


def preview(config: Config, source: SourceConfig, *, now: datetime) -> SourceFetch:
    """Fetch, parse and normalise one source as if never polled; nothing is stored."""
    from aggregator.fetch.client import new_session

    state = SourceState(source.id)
    return poll_one(source, state, config, session=new_session(), limiter=HostLimiter(), now=now)
