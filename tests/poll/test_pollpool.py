"""PollPool: sources polled in pool processes, politely, and a dying worker blames no one else."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from aggregator.config import parse_config
from aggregator.config.types import Config, SourceConfig
from aggregator.errors import AggregatorError
from aggregator.models import SourceState
from aggregator.poll.poller import Poller
from aggregator.poll.pool import DIED, MIN_SOURCES, PollPool, assign, pays_to_start
from aggregator.poll.source import SourceFetch
from aggregator.store import Storage
from tests.support.faultfarm import rss
from tests.support.pollpool import crash_on_crasher, slow_or_crash
from tests.support.server import LocalServer

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def config_of(settings: str, urls: dict[str, str]) -> Config:
    blocks = "".join(
        f'[[source]]\nid = "{sid}"\nname = "{sid}"\ntype = "feed"\nurl = "{url}"\n'
        for sid, url in urls.items()
    )
    return parse_config(f"[settings]\n{settings}\n{blocks}", "sources.toml")


def spread_workers(config: Config, workers: int = 2) -> dict[str, tuple[int, int | None]]:
    """source id -> (worker index, per-host concurrency the worker applies)."""
    seen = {}
    for turn, source in enumerate(config.sources):
        index, as_seen = assign(source, SourceState(source.id), config.settings, workers, turn)
        seen[source.id] = (index, as_seen.per_host_concurrency)
    return seen


# --- which worker polls a source ---


def test_a_polite_host_belongs_to_one_worker_with_its_whole_limit() -> None:
    urls = {f"a{n}": f"https://a.example.org/{n}.xml" for n in range(6)}
    urls |= {f"b{n}": f"https://b.example.org/{n}.xml" for n in range(6)}
    config = config_of('per_host_delay = "1s"\nper_host_concurrency = 4', urls)
    seen = spread_workers(config)
    for host in "ab":
        assert len({seen[f"{host}{n}"] for n in range(6)}) == 1  # one worker, as configured
    assert {concurrency for _, concurrency in seen.values()} == {None}


def test_a_lifted_host_is_spread_and_each_worker_takes_a_share_of_its_concurrency() -> None:
    urls = {f"s{n}": f"http://127.0.0.1:8080/{n}.xml" for n in range(8)}
    config = config_of('per_host_delay = "0s"\nper_host_concurrency = 64\nrobots = false', urls)
    seen = spread_workers(config)
    assert sorted(index for index, _ in seen.values()) == [0] * 4 + [1] * 4
    assert {concurrency for _, concurrency in seen.values()} == {32}  # 2 x 32 = 64 in all


@pytest.mark.parametrize(
    "settings",
    [
        'per_host_delay = "0s"\nper_host_concurrency = 64\nrobots = true',  # a Crawl-delay may come
        'per_host_delay = "0s"\nper_host_concurrency = 1\nrobots = false',  # no share for two
        'per_host_delay = "2s"\nper_host_concurrency = 64\nrobots = false',
    ],
)
def test_a_host_with_any_limit_left_is_not_spread(settings: str) -> None:
    urls = {f"s{n}": f"http://127.0.0.1:8080/{n}.xml" for n in range(8)}
    seen = spread_workers(config_of(settings, urls))
    assert len(set(seen.values())) == 1


def test_gov_uk_keeps_one_worker_even_when_the_limits_are_lifted() -> None:
    urls = {f"g{n}": f"https://www.gov.uk/search/all.atom?n={n}" for n in range(6)}
    config = config_of('per_host_delay = "0s"\nper_host_concurrency = 64\nrobots = false', urls)
    assert len(set(spread_workers(config).values())) == 1


def test_a_moved_source_is_assigned_by_where_it_now_answers() -> None:
    config = config_of('per_host_delay = "1s"', {"a": "https://old.example.org/feed"})
    source = config.sources[0]
    moved = SourceState("a", url=source.url, moved_to="https://new.example.org/feed")
    other = replace(source, id="b", url="https://new.example.org/other")
    settings = config.settings
    assert (
        assign(source, moved, settings, 7, 0)[0]
        == assign(other, SourceState("b"), settings, 7, 0)[0]
    )


def test_the_pools_fetches_are_shared_among_its_workers() -> None:
    assert [PollPool(processes=2, fetches=n).threads for n in (1, 8, 9)] == [1, 4, 5]


# --- a worker that dies ---


def source_named(name: str) -> SourceConfig:
    return SourceConfig(id=name, name=name, type="feed", url=f"https://a.example.org/{name}")


def submit(pool: PollPool, config: Config, source_id: str) -> SourceFetch:
    source = source_named(source_id)
    return pool.submit(source, SourceState(source_id), config, NOW).result(timeout=60)


POLITE = config_of('per_host_delay = "1s"', {})


def test_a_dead_worker_fails_its_source_and_the_next_sources_are_polled() -> None:
    pool = PollPool(processes=1, fetches=2, task=crash_on_crasher)
    try:
        before = submit(pool, POLITE, "before")
        assert before.ok and before.keys is not None
        crashed = submit(pool, POLITE, "crasher")
        assert crashed.error == DIED and crashed.source_id == "crasher"
        for source_id in ("after", "later"):
            fetched = submit(pool, POLITE, source_id)
            assert fetched.ok and fetched.keys is not None and fetched.keys[0][0] == source_id
            assert fetched.keys[0][1] != before.keys[0][1]  # a new pool process
    finally:
        pool.close()


def test_sources_polled_beside_a_crashing_one_are_polled_again_not_blamed() -> None:
    pool = PollPool(processes=2, fetches=8, task=slow_or_crash)
    names = ["crasher", "good-1", "good-2", "good-3"]
    try:
        futures = {n: pool.submit(source_named(n), SourceState(n), POLITE, NOW) for n in names}
        results = {name: future.result(timeout=60) for name, future in futures.items()}
        assert results["crasher"].error == DIED
        for name in names[1:]:
            assert results[name].ok, results[name].error
    finally:
        pool.close()


def test_closing_the_pool_ends_every_worker_thread_and_process() -> None:
    pool = PollPool(processes=2, fetches=8, task=crash_on_crasher)  # 4 threads a worker
    fetched = [submit(pool, POLITE, f"source-{n}") for n in range(4)]
    pids = {int(f.keys[0][1]) for f in fetched if f.keys}
    closing = threading.Thread(target=pool.close)
    closing.start()
    closing.join(timeout=30)
    assert not closing.is_alive()  # every thread of every worker saw the end of its jobs
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_closed_pool_starts_no_workers() -> None:
    pool = PollPool(processes=1, task=crash_on_crasher)
    pool.close()
    with pytest.raises(AggregatorError, match="closed"):
        submit(pool, POLITE, "late")


# --- politeness across pool processes, against a real server ---


class CountingServer(LocalServer):
    """Serves a small feed at every path, slowly, and remembers the most requests at once."""

    def __init__(self) -> None:
        self.now, self.most = 0, 0
        self.starts: list[float] = []
        super().__init__()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.starts.append(time.monotonic())
        time.sleep(0.05)
        body = rss(request.path.strip("/"), 2)
        # Counted off before the reply: once it is sent, the client may free its slot and send
        # the next request before this thread would count this one off.
        with self._lock:
            self.now -= 1
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


@pytest.fixture
def counting() -> Iterator[CountingServer]:
    with CountingServer() as server:
        yield server


@pytest.mark.parametrize("concurrency", [1, 4])
def test_workers_together_keep_a_hosts_concurrency(
    counting: CountingServer, tmp_path: Path, concurrency: int
) -> None:
    count = 2 * MIN_SOURCES
    urls = {f"s{n:02d}": f"{counting.base}/s{n:02d}.xml" for n in range(count)}
    settings = (
        f'allow_private_networks = true\nrobots = false\nper_host_delay = "0s"\n'
        f"per_host_concurrency = {concurrency}"
    )
    config = config_of(settings, urls)
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        poller = Poller.create(config, storage)
        try:
            outcomes = poller.poll(list(config.sources))
        finally:
            poller.close()
        assert [o.error for o in outcomes if not o.ok] == []
        assert sum(o.new for o in outcomes) == 2 * count
    assert 1 <= counting.most <= concurrency
    if concurrency > 1:
        assert counting.most > 1  # the limit, not a lone worker, kept it there


def test_a_worker_process_loads_no_more_than_polling_needs() -> None:
    """Spawned workers re-import the entry script (aggregator.cli): each module it pulls in is
    paid for once per core. tomlkit (editing sources.toml) and the store have no use there, nor
    lxml (7 MB a process) unless an HTML listing is parsed."""
    code = (
        "import sys, aggregator.cli, aggregator.poll.pool; "
        "print(sorted(m for m in ('tomlkit', 'sqlalchemy', 'alembic', 'lxml') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_small_poll_after_a_big_one_keeps_the_hosts_delay(
    counting: CountingServer, tmp_path: Path
) -> None:
    """Once the workers run, a poll too small to start them still goes to them: the host's last
    request time is there, and the delay holds from one poll into the next."""
    urls = {f"s{n:02d}": f"{counting.base}/s{n:02d}.xml" for n in range(MIN_SOURCES)}
    settings = 'allow_private_networks = true\nrobots = false\nper_host_delay = "0.25s"'
    config = config_of(settings, urls)
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        poller = Poller.create(config, storage)
        try:
            first = poller.poll(list(config.sources))
            second = poller.poll(list(config.sources[:2]))
        finally:
            poller.close()
    assert all(o.ok for o in first + second)
    starts = sorted(counting.starts)
    assert len(starts) == MIN_SOURCES + 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.2  # 0.25 s apart as sent; the server may see them a little askew


def test_a_warm_poll_stays_in_this_process_and_a_cold_one_starts_the_pool(
    counting: CountingServer, tmp_path: Path
) -> None:
    """Starting the processes pays only when there is parsing to share out: the first poll of
    many sources starts them; in a new process (a cron run), the next poll, whose sources
    all succeeded last time, does not."""
    urls = {f"s{n:02d}": f"{counting.base}/s{n:02d}.xml" for n in range(2 * MIN_SOURCES)}
    config = config_of('allow_private_networks = true\nrobots = false\nper_host_delay = "0s"', urls)
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        for expect_pool in (True, False):
            poller = Poller.create(config, storage)
            try:
                outcomes = poller.poll(list(config.sources))
                assert poller.poll_pool.started is expect_pool
            finally:
                poller.close()
            assert all(o.ok for o in outcomes)


def test_pays_to_start_counts_only_sources_without_a_recent_success() -> None:
    sources = [SourceConfig(f"s{n}", f"S{n}", "feed", f"https://h/{n}") for n in range(40)]
    ok = SourceState("x", status="ok", last_success_at=datetime(2026, 12, 1, tzinfo=UTC))
    settled = {s.id: replace(ok, source_id=s.id) for s in sources}
    assert not pays_to_start(sources, settled)
    failing = {
        sid: replace(state, status="error") if n < MIN_SOURCES else state
        for n, (sid, state) in enumerate(settled.items())
    }
    assert pays_to_start(sources, failing)
    assert pays_to_start(sources, {})  # never polled
    assert not pays_to_start(sources[: MIN_SOURCES - 1], {})
