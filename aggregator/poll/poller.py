"""Polling many sources: network and parsing in threads or pool processes (aggregator.poll.pool),
storage in the calling thread."""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import requests

from aggregator.clock import utcnow
from aggregator.config.types import Config, SourceConfig
from aggregator.fetch.client import new_session
from aggregator.fetch.politeness import HostLimiter
from aggregator.fetch.robots import RobotsCache
from aggregator.models import PollOutcome, SourceState
from aggregator.poll import schedule
from aggregator.poll.pool import PollPool, pays_to_start
from aggregator.poll.retention import prune_source
from aggregator.poll.source import SourceFetch, poll_one
from aggregator.store import Storage
from aggregator.store.ingest.run import IngestCounts, SourceItems, ingest_many

log = logging.getLogger(__name__)
STATE_BATCH = 50  # sources' states saved per transaction


def source_ranker(config: Config) -> Callable[[str], int]:
    """Representative rule input: sources listed earlier in sources.toml rank first."""
    order = {source.id: index for index, source in enumerate(config.sources)}
    return lambda source_id: order.get(source_id, len(order))


@dataclass
class Poller:
    config: Config
    storage: Storage
    session: requests.Session
    limiter: HostLimiter
    fetches: int = 8  # requests at once, over all hosts (threads here, or shared by the pool)
    clock: Callable[[], datetime] = utcnow
    robots: RobotsCache = field(default_factory=RobotsCache)
    poll_pool: PollPool = field(default_factory=PollPool)
    _unsaved: list[SourceState] = field(default_factory=list, init=False, repr=False)
    _ranked: tuple[Config, Callable[[str], int]] | None = field(
        default=None, init=False, repr=False
    )

    @classmethod
    def create(cls, config: Config, storage: Storage, *, fetches: int = 8) -> Poller:
        pool = PollPool(fetches=fetches)
        return cls(config, storage, new_session(), HostLimiter(), fetches, poll_pool=pool)

    def due_sources(self) -> list[SourceConfig]:
        now = self.clock()
        states = {state.source_id: state for state in self.storage.source_states()}
        return [
            source
            for source in self.config.sources
            if source.enabled
            and schedule.is_due(states.get(source.id, SourceState(source.id)), now)
        ]

    def poll(
        self,
        sources: Sequence[SourceConfig],
        on_outcome: Callable[[PollOutcome], object] | None = None,
    ) -> list[PollOutcome]:
        """Poll each source once; a failing source is recorded and never stops the others.

        `on_outcome` hears of each source as soon as it is stored (progress bars, metrics).
        """
        known = {state.source_id: state for state in self.storage.source_states()}
        states = {source.id: known.get(source.id, SourceState(source.id)) for source in sources}
        # Once the workers run, every poll goes to them: a host's last request time and robots.txt
        # rules live there. Before, a poll with little to parse is not worth starting them for.
        pooled = self.poll_pool.started or pays_to_start(sources, states)
        outcomes: list[PollOutcome] = []
        waiting = iter(sources)
        running: dict[Future[SourceFetch], SourceConfig] = {}
        finished: queue.SimpleQueue[Future[SourceFetch]] = queue.SimpleQueue()
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(self.fetches, len(sources)))) as pool:

                def submit_next() -> None:
                    source = next(waiting, None)
                    if source is None:
                        return
                    state, known = states[source.id], self._known(source)
                    if pooled:
                        future = self.poll_pool.submit(
                            source, state, self.config, self.clock(), known
                        )
                    else:
                        future = pool.submit(self._fetch, source, state, known)
                    running[future] = source
                    future.add_done_callback(finished.put)

                # A bounded window of fetched-but-unstored sources keeps memory flat.
                for _ in range(2 * self.fetches):
                    submit_next()
                while running:
                    done = _all_finished(finished)
                    ready = [(running.pop(future), future.result()) for future in done]
                    ready.sort(key=lambda pair: self._ranker()(pair[0].id))  # config order
                    for outcome in self._store(ready, states):
                        outcomes.append(outcome)
                        if on_outcome is not None:
                            on_outcome(outcome)
                    for _ in ready:
                        submit_next()
        finally:
            self._flush_states()
        return outcomes

    def _ranker(self) -> Callable[[str], int]:
        """source_ranker of the current config, built once per config, not once per source."""
        if self._ranked is None or self._ranked[0] is not self.config:
            self._ranked = (self.config, source_ranker(self.config))
        return self._ranked[1]

    def _save_state(self, state: SourceState) -> None:
        """Batched: one transaction per unchanged source was most of a warm poll. A source
        whose items are stored has its state (ETag, body hash) saved with them instead."""
        self._unsaved.append(state)
        if len(self._unsaved) >= STATE_BATCH:
            self._flush_states()

    def _flush_states(self) -> None:
        unsaved, self._unsaved = self._unsaved, []
        self.storage.save_source_states(unsaved)

    def close(self) -> None:
        """Stop the pool processes, if any were started."""
        self.poll_pool.close()

    def _known(self, source: SourceConfig) -> frozenset[str] | None:
        """What is stored of a source whose new items have their own pages read."""
        return self.storage.source_keys(source.id) if source.detail is not None else None

    def _fetch(
        self, source: SourceConfig, state: SourceState, known: frozenset[str] | None = None
    ) -> SourceFetch:
        return poll_one(
            source,
            state,
            self.config,
            session=self.session,
            limiter=self.limiter,
            now=self.clock(),
            robots=self.robots,
            known=known,
        )

    def _store(
        self, ready: list[tuple[SourceConfig, SourceFetch]], states: dict[str, SourceState]
    ) -> list[PollOutcome]:
        """Store what is ready: the items of all these sources and their states in one commit."""
        now = self.clock()
        failed = [(s, f) for s, f in ready if not f.ok]
        succeeded = [(s, f) for s, f in ready if f.ok]
        outcomes = [self._record_failure(s, states[s.id], f, now) for s, f in failed]
        saved = {
            s.id: self._success_state(s, states[s.id], f, now, self.config.interval_of(s))
            for s, f in succeeded
        }
        with_items = [(s, f) for s, f in succeeded if f.items]
        counts = ingest_many(
            self.storage,
            [SourceItems(f.items, now, f.keys) for _, f in with_items],
            source_rank=self._ranker(),
            states=[saved[s.id] for s, _ in with_items],
        )
        by_source = {s.id: c for (s, _), c in zip(with_items, counts, strict=True)}
        for source, fetched in succeeded:
            if not fetched.items:
                self._save_state(saved[source.id])
            outcomes.append(
                self._after_success(
                    source, fetched, saved[source.id], by_source.get(source.id), now
                )
            )
        return outcomes

    def _record_failure(
        self, source: SourceConfig, state: SourceState, fetched: SourceFetch, now: datetime
    ) -> PollOutcome:
        error = fetched.error or "unknown error"
        self._save_state(
            schedule.after_failure(
                state,
                now=now,
                interval=self.config.interval_of(source),
                error=error,
                retry_after=fetched.retry_after,
                gone=fetched.gone,
            )
        )
        log.warning(
            "poll failed", extra={"source": source.id, "error": error, "elapsed": fetched.elapsed}
        )
        return PollOutcome(source.id, ok=False, error=error, elapsed=fetched.elapsed)

    def _after_success(
        self,
        source: SourceConfig,
        fetched: SourceFetch,
        saved: SourceState,
        counts: IngestCounts | None,
        now: datetime,
    ) -> PollOutcome:
        counts = counts or IngestCounts()
        prune_source(self.storage, self.config, source, now)
        moved = moved_warning(source, saved)
        if moved:
            log.warning("%s", moved)
        # A source with nothing new is the steady state: a line each hour per source is noise.
        level = logging.INFO if counts.new or counts.updated or counts.merged else logging.DEBUG
        log.log(
            level,
            "poll ok",
            extra={
                "source": source.id,
                "new": counts.new,
                "updated": counts.updated,
                "merged": counts.merged,
                "elapsed": fetched.elapsed,
            },
        )
        return _outcome(source.id, fetched, counts, moved)

    def _success_state(
        self,
        source: SourceConfig,
        state: SourceState,
        fetched: SourceFetch,
        now: datetime,
        interval: float,
    ) -> SourceState:
        result = fetched.result
        parsed_something = bool(fetched.items) or not (
            fetched.unchanged_body or _not_modified(fetched)
        )
        return schedule.after_success(
            state,
            now=now,
            interval=interval,
            server_hint=result.max_age if result else None,
            url=source.url,
            etag=result.etag if result else None,
            last_modified=result.last_modified if result else None,
            body_hash=fetched.body_hash,
            moved_to=result.permanent_redirect if result else None,
            items_found=len(fetched.items) if parsed_something else None,
        )


def _all_finished(finished: queue.SimpleQueue[Future[SourceFetch]]) -> list[Future[SourceFetch]]:
    """Wait for one fetch to finish; take every other one finished by then. (A queue fed by
    done-callbacks: futures.wait re-registers a waiter on every running future each time.)"""
    done = [finished.get()]
    while True:
        try:
            done.append(finished.get_nowait())
        except queue.Empty:
            return done


def _not_modified(fetched: SourceFetch) -> bool:
    return fetched.result is not None and fetched.result.not_modified


def moved_warning(source: SourceConfig, state: SourceState) -> str | None:
    """The line telling the operator a source answers from a new URL for good."""
    if not state.moved_to or state.moved_to == source.url or state.url != source.url:
        return None
    return f"source {source.id} moved permanently to {state.moved_to}: update sources.toml"


def _outcome(
    source_id: str, fetched: SourceFetch, counts: IngestCounts, moved: str | None = None
) -> PollOutcome:
    return PollOutcome(
        source_id,
        ok=True,
        new=counts.new,
        updated=counts.updated,
        merged=counts.merged,
        unchanged=counts.unchanged,
        not_modified=_not_modified(fetched) or fetched.unchanged_body,
        elapsed=fetched.elapsed,
        extra={"warning": moved} if moved else {},
    )


def select_sources(config: Config, ids: Iterable[str]) -> list[SourceConfig]:
    """The named sources (all enabled ones when none are named); unknown ids raise KeyError."""
    wanted = list(ids)
    if not wanted:
        return [source for source in config.sources if source.enabled]
    missing = [sid for sid in wanted if config.source(sid) is None]
    if missing:
        raise KeyError(", ".join(missing))
    return [source for source in config.sources if source.id in wanted]
