"""Per-host politeness: at most N requests in flight to one host, a minimum gap between them,
robots.txt and its Crawl-delay; where a source is fetched from, and with which limits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import urlsplit

import requests

from aggregator.config.govuk import GOVUK_HOST, GOVUK_MIN_INTERVAL, build_search_url
from aggregator.config.types import Settings, SourceConfig, own_or_default
from aggregator.fetch.client import FetchPolicy, fetch
from aggregator.fetch.robots import RobotsCache
from aggregator.models import FetchResult, SourceState

MAX_CRAWL_DELAY = 30.0  # a robots.txt Crawl-delay is honoured up to this many seconds


@lru_cache(maxsize=4096)
def host_of(url: str) -> str:
    """The URL's host name, lower case ("" when it has none); sources repeat every poll."""
    return (urlsplit(url).hostname or "").lower()


class HostLimiter:
    """Thread-safe gate: `with limiter.slot(url, concurrency, delay): fetch(...)`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def _semaphore(self, host: str, concurrency: int) -> threading.BoundedSemaphore:
        with self._lock:
            sem = self._semaphores.get(host)
            if sem is None:
                sem = self._semaphores[host] = threading.BoundedSemaphore(max(concurrency, 1))
            return sem

    def _reserve_start(self, host: str, delay: float) -> float:
        """The moment this request may start; reserves the following slot for the next one."""
        with self._lock:
            start = max(time.monotonic(), self._next_start.get(host, 0.0))
            self._next_start[host] = start + delay
            return start

    @contextmanager
    def slot(self, url: str, concurrency: int, delay: float) -> Iterator[None]:
        host = host_of(url)
        with self._semaphore(host, concurrency):
            if delay > 0:
                wait = self._reserve_start(host, delay) - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            yield


def source_url(source: SourceConfig, state: SourceState) -> str:
    """Where to poll: the configured URL, or where it permanently moved to."""
    if source.type == "govuk-search":
        return build_search_url(source)
    if state.moved_to and state.url == source.url:
        return state.moved_to
    return source.url


def polite_delay(url: str, source: SourceConfig, default: float) -> float:
    """The per-host gap for this source; never under what gov.uk asks of API clients."""
    delay = own_or_default(source.per_host_delay, default)
    if host_of(url) == GOVUK_HOST:
        return max(delay, GOVUK_MIN_INTERVAL)
    return delay


def host_concurrency(source: SourceConfig, settings: Settings) -> int:
    """Requests at once to the source's host: its own setting, else the `[settings]` one."""
    return own_or_default(source.per_host_concurrency, settings.per_host_concurrency)


def robots_apply(source: SourceConfig, settings: Settings) -> bool:
    return own_or_default(source.robots, settings.robots)


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
    return fetch_url_politely(url, source, state, settings, session, limiter, robots)


def fetch_url_politely(
    url: str,
    source: SourceConfig,
    state: SourceState,
    settings: Settings,
    session: requests.Session,
    limiter: HostLimiter,
    robots: RobotsCache | None,
) -> FetchResult:
    """`url` fetched for `source` (its listing's next page, an item's own page) as politely as
    the source itself: the same host limits, delay and robots.txt."""
    policy = FetchPolicy.from_config(settings, source)
    concurrency = host_concurrency(source, settings)
    delay = polite_delay(url, source, settings.per_host_delay)
    if robots is not None and robots_apply(source, settings):
        rules = robots.check(session, url, policy, lambda u: limiter.slot(u, concurrency, delay))
        delay = max(delay, min(rules.crawl_delay() or 0.0, MAX_CRAWL_DELAY))
    with limiter.slot(url, concurrency, delay):
        return fetch(session, source.id, url, state, policy)
