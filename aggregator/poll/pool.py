"""Polling in pool processes, one per core: each fetches with its own threads and parses there.

feedparser is pure Python, and so is most of an HTTP exchange: in one process, fetching and
parsing hold the GIL that the storing thread needs. Here the calling process only stores.

Politeness holds across processes because a host belongs to one process, whose limiter sees all
of its requests. A host whose limits are lifted (no delay, robots.txt not consulted, room for a
share of its concurrency in each process) is spread over all processes, each taking its share.

Processes are spawned lazily (never forked from a threaded process) and only for polls big enough
to repay their start-up. A process that dies (a crash, the out-of-memory killer) takes its
sources in flight with it: each is polled again in a process of its own, so only the source
that kills its process again fails; the next job starts a new process.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import requests

from aggregator.config.types import Config, Settings, SourceConfig
from aggregator.dedupe.features import features
from aggregator.errors import AggregatorError
from aggregator.fetch.client import new_session
from aggregator.fetch.politeness import (
    HostLimiter,
    host_concurrency,
    host_of,
    polite_delay,
    robots_apply,
    source_url,
)
from aggregator.fetch.robots import RobotsCache
from aggregator.models import FetchResult, Item, SourceState
from aggregator.poll.itemize import Keys, items_and_keys
from aggregator.poll.source import SourceFetch, poll_one

log = logging.getLogger(__name__)
MIN_SOURCES = 16  # fewer sources to parse than this are polled in the calling process's threads
DIED = "a pool process died while polling this source (a crash or out of memory)"


def pays_to_start(sources: Sequence[SourceConfig], states: Mapping[str, SourceState]) -> bool:
    """Are enough of these sources likely to send something to parse to repay starting the
    processes (a third of a second of CPU each)? One whose last poll succeeded usually answers
    304, or the same body again, which is never parsed: a warm poll stays in this process."""
    unsettled = (source for source in sources if not _settled(states.get(source.id)))
    return sum(1 for _ in itertools.islice(unsettled, MIN_SOURCES)) >= MIN_SOURCES


def _settled(state: SourceState | None) -> bool:
    return state is not None and state.status == "ok" and state.last_success_at is not None


@dataclass(frozen=True)
class PollJob:
    number: int
    source: SourceConfig  # per_host_concurrency set to the process's share on a spread host
    state: SourceState
    now: datetime
    known: frozenset[str] | None = None  # [source.detail]: the keys already stored


@dataclass
class ProcessKit:
    """What one process's threads share: connections, the per-host limiter, robots.txt rules,
    and one parsing thread (parsing is CPU-bound: more threads would only fight for the GIL)."""

    session: requests.Session = field(default_factory=new_session)
    limiter: HostLimiter = field(default_factory=HostLimiter)
    robots: RobotsCache = field(default_factory=RobotsCache)
    parser: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1))

    def items_and_keys(
        self, result: FetchResult, source: SourceConfig, config: Config, now: datetime
    ) -> tuple[list[Item], list[Keys]]:
        return self.parser.submit(process_items, result, source, config, now).result()


# A job with the config it is polled under (without sources and feeds: only what polling one
# source reads). Tests pass tasks that crash their process.
JobTask = Callable[[PollJob, Config, ProcessKit], SourceFetch]


def process_items(
    result: FetchResult, source: SourceConfig, config: Config, now: datetime
) -> tuple[list[Item], list[Keys]]:
    """The process's ItemMaker: items_and_keys, forgetting the features it computed."""
    made = items_and_keys(result, source, config, now)
    features.cache_clear()  # a process sees each story once: the cache would only grow
    return made


def poll_job(job: PollJob, config: Config, kit: ProcessKit) -> SourceFetch:
    fetched = poll_one(
        job.source,
        job.state,
        config,
        session=kit.session,
        limiter=kit.limiter,
        now=job.now,
        robots=kit.robots,
        parse=kit.items_and_keys,
        known=job.known,
    )
    if fetched.result is None or not fetched.result.body:
        return fetched
    # The body stays here: the store needs its items and hash, not its bytes.
    return replace(fetched, result=replace(fetched.result, body=b""))


def assign(
    source: SourceConfig, state: SourceState, settings: Settings, processes: int, turn: int
) -> tuple[int, SourceConfig]:
    """Which process polls the source, and the source as that process sees it."""
    url = source_url(source, state)
    share = host_concurrency(source, settings) // processes
    lifted = polite_delay(url, source, settings.per_host_delay) <= 0 and not robots_apply(
        source, settings
    )
    if lifted and share >= 1:
        return turn % processes, replace(source, per_host_concurrency=share)
    return zlib.crc32(host_of(url).encode()) % processes, source


class _Inbox:
    """The process's end of the job pipe, read by each of its threads in turn: a thread takes
    its next job itself (no hand-over queue), with the config the job is polled under."""

    def __init__(self, jobs: Connection) -> None:
        self._jobs, self._lock = jobs, threading.Lock()
        self._config: Config | None = None
        self._closed = False

    def next_job(self) -> tuple[PollJob, Config] | None:
        """The next job; None once the pool sent None (or the parent is gone)."""
        with self._lock:
            while not self._closed:
                try:
                    message = self._jobs.recv()
                except (EOFError, OSError):
                    message = None
                if message is None:
                    self._closed = True
                elif isinstance(message, Config):
                    self._config = message
                elif self._config is None:
                    raise AggregatorError("a polling job came before its config")
                else:
                    return message, self._config
            return None


def process_main(jobs: Connection, results: Connection, threads: int, task: JobTask) -> None:
    """A pool process: `threads` threads take jobs until None, each sending its result back
    as soon as it is ready. A job comes after the config it is polled under (sent on change)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it closes the pool
    kit, inbox, sending = ProcessKit(), _Inbox(jobs), threading.Lock()

    def work() -> None:
        while (taken := inbox.next_job()) is not None:
            job, config = taken
            try:
                fetched = task(job, config, kit)
            except Exception as exc:  # poll_one catches everything; a test task may not
                fetched = SourceFetch(
                    job.source.id, error=f"unexpected {type(exc).__name__}: {exc}"
                )
            with sending:
                results.send((job.number, fetched))

    pollers = [threading.Thread(target=work, name=f"poll-{n}") for n in range(threads)]
    for thread in pollers:
        thread.start()
    for thread in pollers:
        thread.join()


def run_alone(task: JobTask, job: PollJob, config: Config) -> SourceFetch:
    return task(job, config, ProcessKit())


def poll_alone(task: JobTask, job: PollJob, config: Config) -> SourceFetch:
    """The job again, in a process of its own: only a job that kills it again fails."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as alone:
        try:
            return alone.submit(run_alone, task, job, config).result()
        except BrokenProcessPool:
            return SourceFetch(job.source.id, error=DIED)


class _Process:
    """One pool process, its two pipes, and the jobs it has not answered yet."""

    def __init__(self, threads: int, task: JobTask) -> None:
        context = get_context("spawn")
        job_reader, self._jobs = context.Pipe(duplex=False)
        self._results, result_writer = context.Pipe(duplex=False)
        self.process: BaseProcess = context.Process(
            target=process_main, args=(job_reader, result_writer, threads, task), daemon=True
        )
        self.process.start()
        job_reader.close()  # the process's ends: its death then reads as end of file here
        result_writer.close()
        self._task = task
        self._lock, self._sending = threading.Lock(), threading.Lock()
        self._waiting: dict[int, tuple[PollJob, Config, Future[SourceFetch]]] = {}
        self._config: Config | None = None  # the last config sent
        self.alive = True
        threading.Thread(target=self._collect, name="pollpool-collect", daemon=True).start()

    def submit(self, job: PollJob, config: Config) -> Future[SourceFetch] | None:
        """The job's future; None when the process is gone (the caller starts another)."""
        future: Future[SourceFetch] = Future()
        with self._lock:
            if not self.alive:
                return None
            self._waiting[job.number] = (job, config, future)
        with self._sending, contextlib.suppress(OSError):  # dead: the collector retries it
            if config is not self._config:
                self._jobs.send(config)
                self._config = config
            self._jobs.send(job)
        return future

    def stop(self) -> None:
        with self._sending, contextlib.suppress(OSError):
            self._jobs.send(None)
        self.process.join()

    def _collect(self) -> None:
        while True:
            try:
                number, fetched = self._results.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                *_, future = self._waiting.pop(number)
            future.set_result(fetched)
        with self._lock:
            self.alive = False
            left, self._waiting = list(self._waiting.values()), {}
        if left:
            log.warning("pool process died with %d sources in flight; retrying each", len(left))
        for job, config, future in left:
            future.set_result(poll_alone(self._task, job, config))
        self._results.close()
        with self._sending:  # a Connection is not thread-safe: never close it mid-send
            self._jobs.close()


class PollPool:
    """Polls sources in `processes` processes, `fetches` at once in all; see the module doc."""

    def __init__(
        self, processes: int | None = None, fetches: int = 8, task: JobTask = poll_job
    ) -> None:
        self.processes = processes or os.cpu_count() or 1
        self.threads = max(1, -(-fetches // self.processes))  # each process's share
        self._task = task
        self._processes: list[_Process | None] = [None] * self.processes
        self._lock = threading.Lock()
        self._closed = False
        self._numbers = itertools.count(1)
        self._slimmed: tuple[Config, Config] | None = None

    def submit(
        self,
        source: SourceConfig,
        state: SourceState,
        config: Config,
        now: datetime,
        known: frozenset[str] | None = None,
    ) -> Future[SourceFetch]:
        number = next(self._numbers)
        index, as_seen = assign(source, state, config.settings, self.processes, number)
        job, slim = PollJob(number, as_seen, state, now, known), self._slim(config)
        while (future := self._process(index).submit(job, slim)) is None:
            pass  # it died between the two calls: the next call starts another
        return future

    def _slim(self, config: Config) -> Config:
        """The config without sources and feeds, made once per config (sent once per process)."""
        slimmed = self._slimmed
        if slimmed is None or slimmed[0] is not config:
            slimmed = self._slimmed = (config, replace(config, sources=(), feeds=()))
        return slimmed[1]

    def _process(self, index: int) -> _Process:
        with self._lock:
            if self._closed:
                raise AggregatorError("the polling pool is closed")
            process = self._processes[index]
            if process is None or not process.alive:
                process = self._processes[index] = _Process(self.threads, self._task)
            return process

    @property
    def started(self) -> bool:
        """Some process is running (and holds its hosts' politeness state: last request times,
        robots.txt rules), and the pool is open."""
        with self._lock:
            return not self._closed and any(w is not None and w.alive for w in self._processes)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            processes, self._processes = self._processes, [None] * self.processes
        for process in processes:
            if process is not None:
                process.stop()
