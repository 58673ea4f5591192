"""Parsing and normalising in worker processes, so every core works while threads fetch.

feedparser is pure Python: in threads, parsing holds the GIL that the storing thread needs.
Worker processes are started lazily (spawned, never forked from a threaded process) and only
for polls big enough to repay their start-up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import datetime
from multiprocessing import get_context

from aggregator import dedupe
from aggregator.config.types import Config, SourceConfig
from aggregator.dedupe import lookup_keys
from aggregator.errors import ParseError
from aggregator.itemize import Keys, to_items
from aggregator.models import FetchResult, Item

MIN_SOURCES = 16  # fewer sources than this are parsed in the fetching threads


def items_and_keys(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> tuple[list[Item], list[Keys] | None]:
    items = to_items(result, source, config, now)
    keys = [lookup_keys(item) for item in items]
    _forget_features()
    return items, keys


def _forget_features() -> None:
    """A worker sees each story once: dedupe's feature cache would only grow its memory."""
    dedupe.features.cache_clear()


ItemTask = Callable[
    [FetchResult, SourceConfig, Config, datetime], tuple[list[Item], list[Keys] | None]
]


class ParsePool:
    def __init__(self, workers: int | None = None, task: ItemTask = items_and_keys) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._task = task  # run in the workers; tests pass one that can crash them
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self._lock = threading.Lock()

    def items_and_keys(
        self, result: FetchResult, source: SourceConfig, config: Config, now: datetime
    ) -> tuple[list[Item], list[Keys] | None]:
        """An ItemMaker: pipeline.to_items and dedupe's lookup keys, computed in a worker.

        A worker that dies (a crash, the out-of-memory killer) breaks its whole pool, failing
        every job in it. Each of those jobs is tried again in a process of its own, so only
        the document that kills its worker again fails; the next job starts a new pool."""
        slim = replace(config, sources=(), feeds=())  # only what parsing needs crosses over
        job = (result, source, slim, now)
        pool = self._pool()
        try:
            return pool.submit(self._task, *job).result()
        except BrokenProcessPool:
            self._discard(pool)
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as alone:
            try:
                return alone.submit(self._task, *job).result()
            except BrokenProcessPool:
                raise ParseError(
                    "a parsing worker died while parsing this source (a crash or out of memory)"
                ) from None

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise ParseError("the parsing pool is closed")
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))
            return self._executor

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._executor is not None:
                self._executor.shutdown()
                self._executor = None
