"""Per-host politeness: at most N requests in flight to one host, and a minimum gap between them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import urlsplit


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
