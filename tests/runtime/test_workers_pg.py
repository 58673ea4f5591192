"""Several `aggregator worker` processes on one PostgreSQL database and one local feed server.

Proves: every feed is fetched exactly once per interval however many workers run; stories
that several feeds carry become one item each (no duplicates); a worker killed with -9
while holding leases loses only them, and another worker polls its unfinished source once
the lease has expired, without re-fetching the sources it had already stored.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import select

from aggregator.store import Storage
from aggregator.store.schema import ItemRow, SourceRow
from tests.conftest import fresh_pg_schema
from tests.support.feedserver import FeedServer

pytestmark = pytest.mark.pg

FEEDS, STORIES, PER_FEED, WORKERS = 30, 36, 6, 3
WORD_LINES = (
    "adult carers exploitation neglect fostering housing dental online grooming truancy hospital",
    "discharge transition alcohol gambling scams hoarding bereavement trafficking radical county",
    "custody slavery homelessness disability allotment bicycle canal library orchestra pottery",
    "harbour lighthouse meadow orchard quarry reservoir tramway viaduct windmill bakery cinema",
    "museum observatory planetarium regatta stadium theatre vineyard aquarium brewery cathedral",
)
WORDS = [word for line in WORD_LINES for word in line.split()]
RESPONSE_DELAY = 0.15  # seconds per feed request, so the workers' polling overlaps
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class GatedFeedServer(FeedServer):
    """A FeedServer that delays every answer, can hold chosen paths until released once,
    and records when each request arrived."""

    gated: set[str] = field(default_factory=set)
    arrived: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.gate = threading.Event()
        self.gate_reached = threading.Event()
        super().__post_init__()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.arrived.setdefault(request.path, []).append(time.time())
            hold = request.path in self.gated
            self.gated.discard(request.path)
        if hold:  # answer nobody: the worker that asked is killed meanwhile
            self.gate_reached.set()
            self.gate.wait(30)
            return
        time.sleep(RESPONSE_DELAY)
        super().handle(request)


def story(n: int) -> tuple[str, str, str]:
    """(title, link, summary) of story n: word choices that make no two stories alike."""
    words = random.Random(n).sample(WORDS, 10)
    title = " ".join(words[:4]).capitalize()
    summary = " ".join(words[4:]).capitalize() + f" ({n * 7919})."
    return title, f"https://news.example.org/{n}/{'-'.join(words[:3])}/", summary


def rss(feed: int, stories: list[int]) -> bytes:
    published = datetime(2024, 5, 1, tzinfo=UTC)
    entries = []
    for n in stories:
        title, link, summary = story(n)
        date = format_datetime(published + timedelta(hours=n))
        entries.append(
            f"<item><title>{title}</title><link>{link}</link><guid>feed{feed}-{n}</guid>"
            f"<pubDate>{date}</pubDate><description>{summary}</description></item>"
        )
    channel = f"<title>Feed {feed}</title><link>https://board{feed}.example.org/</link>"
    body = f"<channel>{channel}{''.join(entries)}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{body}</rss>'.encode()


def feed_stories(feed: int) -> list[int]:
    """Each story is carried by several feeds, and (workers claiming `--batch 3` in id
    order) feeds f, f+3 and f+6 carry the same ones: different workers store them at once."""
    group = (feed // 9) * 3 + feed % 3
    return sorted({(group * 3 + k) % STORIES for k in range(PER_FEED)})


def sources_toml(server: FeedServer, feeds: range) -> str:
    head = """[settings]
allow_private_networks = true
per_host_delay = "0s"
per_host_concurrency = 16
robots = false
interval = "1h"
"""
    blocks = [
        f'[[source]]\nid = "feed{n:02d}"\nname = "Feed {n}"\nurl = "{server.url(f"/f/{n}.xml")}"\n'
        'category = "news"\n'
        for n in feeds
    ]
    return head + "\n".join(blocks)


@dataclass
class Cluster:
    workdir: Path
    db_url: str

    def start(self, name: str, *args: str) -> subprocess.Popen[str]:
        command = [
            sys.executable, "-m", "aggregator.cli",
            "--sources", str(self.workdir / "sources.toml"),
            "--db", self.db_url,
            "--feeds-dir", str(self.workdir / "feeds"),
            "worker", "--id", name, *args,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with fresh_pg_schema() as url:
        Storage.open(url).close()  # migrate once, before the workers race to
        yield Cluster(tmp_path, url)


def finish(process: subprocess.Popen[str], timeout: float = 60) -> str:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    return stderr


def polled_by(log: str) -> int:
    return sum(int(n) for n in re.findall(r"worker=\S+ polled=(\d+)", log))


def live_items(storage: Storage) -> list[str | None]:
    query = select(ItemRow.canonical_url).where(ItemRow.deleted.is_(False))
    with storage.engine.connect() as connection:
        return list(connection.scalars(query))


def test_workers_share_sources_without_duplicates_and_survive_a_kill(cluster: Cluster) -> None:
    started = time.monotonic()
    with GatedFeedServer() as server:
        for n in range(FEEDS):
            server.set(f"/f/{n}.xml", rss(n, feed_stories(n)))
        (cluster.workdir / "sources.toml").write_text(sources_toml(server, range(FEEDS)))
        workers = [cluster.start(f"w{n}", "--once", "--batch", "3") for n in range(WORKERS)]
        logs = [finish(worker) for worker in workers]

        fetches = Counter(path for path, times in server.arrived.items() for _ in times)
        assert fetches == Counter({f"/f/{n}.xml": 1 for n in range(FEEDS)})  # once each
        shares = [polled_by(log) for log in logs]
        assert sum(shares) == FEEDS and sum(1 for s in shares if s) >= 2, shares
        storage = Storage.open(cluster.db_url)
        try:
            urls = live_items(storage)
            assert len(urls) == STORIES == len(set(urls))  # one item per story, none twice
            published = storage.document("all.atom")
            assert published is not None
            assert published.body == (cluster.workdir / "feeds" / "all.atom").read_bytes()

            kill_test(cluster, server, storage)
            urls = live_items(storage)
            assert len(urls) == STORIES == len(set(urls))
        finally:
            storage.close()
    print(
        f"\nworkers={WORKERS} sources={FEEDS + 5} stories={STORIES} shares={shares} "
        f"duplicates=0 seconds={time.monotonic() - started:.1f}"
    )


def kill_test(cluster: Cluster, server: GatedFeedServer, storage: Storage) -> None:
    """Five new sources; the victim holds them all, stores four, hangs on one and is killed."""
    extra = range(FEEDS, FEEDS + 5)
    slow = f"/f/{FEEDS}.xml"
    for n in extra:
        server.set(f"/f/{n}.xml", rss(n, feed_stories(n)))
    server.gated.add(slow)
    (cluster.workdir / "sources.toml").write_text(sources_toml(server, range(FEEDS + 5)))
    victim = cluster.start("victim", "--once", "--batch", "10", "--lease-ttl", "2")
    try:
        assert server.gate_reached.wait(30), "the victim never asked for the slow feed"
        fast_ids = [f"feed{n:02d}" for n in extra if n != FEEDS]
        wait_for(lambda: all(stored_ok(storage, sid) for sid in fast_ids))
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=10)
    held = leases(storage, "victim")
    assert set(held) == {f"feed{n:02d}" for n in extra}  # the dead worker still holds them all
    rescuer = cluster.start("rescuer")  # a long-running worker
    try:
        wait_for(lambda: stored_ok(storage, f"feed{FEEDS:02d}"))
    finally:
        rescuer.send_signal(signal.SIGTERM)
        finish(rescuer)
        server.gate.set()
    victim_lease_end = held[f"feed{FEEDS:02d}"].timestamp()
    _first, second = server.arrived[slow]
    assert second >= victim_lease_end  # picked up only after the lease expired
    for n in extra:
        if n != FEEDS:
            assert len(server.arrived[f"/f/{n}.xml"]) == 1  # stored before the kill: not again
    assert leases(storage, "rescuer") == {}  # SIGTERM: finished the round, gave leases back


def stored_ok(storage: Storage, source_id: str) -> bool:
    return storage.source_state(source_id).last_success_at is not None


def leases(storage: Storage, owner: str) -> dict[str, datetime]:
    query = select(SourceRow.source_id, SourceRow.lease_until).where(SourceRow.lease_owner == owner)
    with storage.engine.connect() as connection:
        return {sid: until for sid, until in connection.execute(query)}


def wait_for(condition: object, timeout: float = 30) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
