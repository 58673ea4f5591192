"""robots.txt: fetched once per origin, cached, and consulted before a source is fetched.

What a robots.txt answer means follows RFC 9309: a 4xx (no robots.txt) allows everything and is
remembered as long as a real file; a 5xx or a network error also lets the fetch go ahead (a
broken robots.txt must not silence a source for ever) but is remembered only briefly, so the
file is asked for again soon.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import requests

from aggregator import USER_AGENT
from aggregator.errors import FetchError
from aggregator.fetch.client import FetchPolicy, fetch
from aggregator.models import SourceState

PRODUCT_TOKEN = USER_AGENT.split("/", 1)[0]  # "safeguarding-feeds": what robots.txt groups name
ROBOTS_TTL = 24 * 3600.0  # a fetched (or missing) robots.txt is trusted this long
RETRY_TTL = 300.0  # after a 5xx or a network error, ask again this soon
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 lets crawlers ignore what follows 500 KiB
MAX_ROBOTS_DEADLINE = 10.0

Slot = Callable[[str], AbstractContextManager[object]]


class RobotsDisallowed(FetchError):
    """The source's robots.txt does not let our user agent fetch its URL."""


@dataclass(frozen=True)
class Rules:
    """One origin's robots.txt, parsed; `parser` None allows everything."""

    parser: RobotFileParser | None
    expires: float

    def allows(self, url: str) -> bool:
        return self.parser is None or self.parser.can_fetch(PRODUCT_TOKEN, url)

    def crawl_delay(self) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(PRODUCT_TOKEN)
        return float(delay) if delay is not None else None


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def parse_rules(text: str, expires: float) -> Rules:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return Rules(parser, expires)


def rules_after_error(error: FetchError, now: float) -> Rules:
    """Everything is allowed; a client error (no robots.txt) is remembered long, others briefly."""
    missing = error.status is not None and 400 <= error.status < 500
    return Rules(None, now + (ROBOTS_TTL if missing else RETRY_TTL))


class RobotsCache:
    """Thread-safe per-origin cache; concurrent sources of one origin fetch robots.txt once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: dict[str, Rules] = {}
        self._origin_locks: dict[str, threading.Lock] = {}

    def check(self, session: requests.Session, url: str, policy: FetchPolicy, slot: Slot) -> Rules:
        """The origin's rules; RobotsDisallowed when they forbid `url`."""
        rules = self.rules_for(session, url, policy, slot)
        if not rules.allows(url):
            raise RobotsDisallowed(f"disallowed by robots.txt ({robots_url(url)})")
        return rules

    def rules_for(
        self, session: requests.Session, url: str, policy: FetchPolicy, slot: Slot
    ) -> Rules:
        origin = robots_url(url)
        with self._origin_lock(origin):
            rules = self._rules.get(origin)
            if rules is None or rules.expires <= self._clock():
                rules = self._rules[origin] = self._fetch(session, origin, policy, slot)
            return rules

    def forget(self) -> None:
        with self._lock:
            self._rules.clear()

    def _origin_lock(self, origin: str) -> threading.Lock:
        with self._lock:
            return self._origin_locks.setdefault(origin, threading.Lock())

    def _fetch(
        self, session: requests.Session, origin: str, policy: FetchPolicy, slot: Slot
    ) -> Rules:
        robots_policy = replace(
            policy,
            max_bytes=min(policy.max_bytes, MAX_ROBOTS_BYTES),
            deadline=min(policy.deadline, MAX_ROBOTS_DEADLINE),
        )
        try:
            with slot(origin):
                result = fetch(
                    session, "robots.txt", origin, SourceState("robots.txt"), robots_policy
                )
        except FetchError as exc:
            return rules_after_error(exc, self._clock())
        text = (result.body or b"").decode("utf-8", errors="replace")
        return parse_rules(text, self._clock() + ROBOTS_TTL)
