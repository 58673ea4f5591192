"""The fault farm: one poll over every kind of bad server, next to healthy ones.

Each bad source ends with a recorded error naming the fault, the healthy ones store their items,
the poller survives, and deadlines keep the whole poll bounded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.config import load_config
from aggregator.config.types import Config
from aggregator.models import PollOutcome
from aggregator.poll.poller import Poller
from aggregator.store import Storage
from tests.support.faultfarm import (
    WRONG_CHARSET_TITLE,
    FaultServer,
    Reply,
    closed_port,
    farm_routes,
    rss,
    tls_server,
)

MAX_BYTES = 1024 * 1024
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# source id -> (path on the farm, or a full URL; what its recorded error must say)
FAULTS: dict[str, tuple[str, str]] = {
    "drip": ("/drip.xml", "timed out"),
    "too-big": ("/too-big.xml", "response too large"),
    "gzip-bomb": ("/gzip-bomb.xml", "response too large"),
    "redirect-loop": ("/loop-a", "redirect loop"),
    "redirect-chain": ("/chain/0", "too many redirects"),
    "html-page": ("/page.html", "not a feed: looks like an HTML page"),
    "pdf": ("/report.pdf", "not a feed"),
    "invalid-xml": ("/invalid.xml", "mismatched tag"),
    "storm-5xx": ("/storm.xml", "HTTP 503"),
    "rate-limited": ("/limited.xml", "HTTP 429"),
    "gone": ("/gone.xml", "gone: HTTP 410"),
    "cut-mid-body": ("/cut.xml", "connection failed while reading"),
    "robots-disallowed": ("/private/feed.xml", "disallowed by robots.txt"),
    "dns-failure": ("http://nonexistent.invalid/feed.xml", "DNS lookup failed"),
    "tls-error": ("TLS/feed.xml", "TLS error"),
    "refused": ("REFUSED/feed.xml", "connection refused"),
}
HEALTHY: dict[str, tuple[str, int]] = {  # id -> (path, items)
    "healthy-a": ("/healthy-a.xml", 3),
    "healthy-b": ("/healthy-b.xml", 2),
    "wrong-charset": ("/charset.xml", 1),
    "moved-301": ("/old-301.xml", 2),
    "moved-308": ("/old-308.xml", 2),
}
SETTINGS = f"""
[settings]
allow_private_networks = true
timeout = "2s"
deadline = "2s"
max_bytes = {MAX_BYTES}
per_host_delay = "0s"
per_host_concurrency = 32
interval = "15m"
"""


@dataclass
class Farm:
    server: FaultServer
    config: Config
    storage: Storage
    poller: Poller

    def poll(self, *ids: str) -> dict[str, PollOutcome]:
        sources = [s for s in self.config.sources if not ids or s.id in ids]
        return {o.source_id: o for o in self.poller.poll(sources)}


def farm_url(server: FaultServer, tls_base: str, where: str) -> str:
    if where.startswith("TLS/"):
        return tls_base + where[3:]
    if where.startswith("REFUSED/"):
        return f"http://127.0.0.1:{closed_port()}{where[7:]}"
    return where if "://" in where else server.url(where)


def sources_toml(server: FaultServer, tls_base: str) -> str:
    paths = {sid: path for sid, (path, _) in FAULTS.items()}
    paths |= {sid: path for sid, (path, _) in HEALTHY.items()} | {"laughs": "/laughs.xml"}
    blocks = [
        f'[[source]]\nid = "{sid}"\nname = "{sid}"\nurl = "{farm_url(server, tls_base, where)}"\n'
        for sid, where in paths.items()
    ]
    return SETTINGS + "\n" + "\n".join(blocks)


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    tls, tls_base = tls_server({"/feed.xml": Reply(body=rss("tls", 1))})
    with FaultServer(farm_routes(MAX_BYTES)) as server, tls:
        path = tmp_path / "sources.toml"
        path.write_text(sources_toml(server, tls_base))
        config = load_config(path)
        with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
            poller = Poller.create(config, storage, fetches=len(config.sources))
            poller.clock = lambda: NOW
            yield Farm(server, config, storage, poller)


def test_every_fault_is_recorded_and_healthy_sources_store_their_items(farm: Farm) -> None:
    started = time.monotonic()
    outcomes = farm.poll()
    elapsed = time.monotonic() - started

    assert set(outcomes) == {s.id for s in farm.config.sources}
    for source_id, (_, reason) in FAULTS.items():
        state = farm.storage.source_state(source_id)
        assert not outcomes[source_id].ok, source_id
        assert state.last_error is not None and reason in state.last_error, (source_id, state)
        assert state.status in ("error", "gone"), source_id
    for source_id, (_, count) in HEALTHY.items():
        assert outcomes[source_id].ok, (source_id, outcomes[source_id].error)
        assert outcomes[source_id].new == count, source_id
        assert farm.storage.source_state(source_id).status in ("ok", "moved")
    titles = {item.title for item in farm.storage.items()}
    assert WRONG_CHARSET_TITLE in titles  # no mojibake from the wrong header charset
    assert len(titles) == sum(count for _, count in HEALTHY.values()) + outcomes["laughs"].new
    # Deadlines (2s per fetch) bound the poll; a hang would take minutes, not seconds.
    assert elapsed < 15


def test_entity_bomb_in_a_polled_feed_is_not_expanded(farm: Farm) -> None:
    outcome = farm.poll("laughs")["laughs"]
    titles = [i.title for i in farm.storage.items() if i.sightings[0].source_id == "laughs"]
    assert outcome.ok or "feed" in (outcome.error or "")
    assert all(len(title) < 200 for title in titles)


def test_retry_after_sets_the_next_poll(farm: Farm) -> None:
    farm.poll("storm-5xx", "rate-limited")
    for source_id, asked in (("storm-5xx", 120), ("rate-limited", 300)):
        state = farm.storage.source_state(source_id)
        assert state.next_poll_at is not None
        # the interval (15m) is longer than either Retry-After, and wins (within jitter)
        assert state.next_poll_at >= NOW + timedelta(seconds=900 * 0.9), source_id
        assert state.next_poll_at >= NOW + timedelta(seconds=asked), source_id


def test_gone_source_is_disabled_and_no_longer_due(farm: Farm) -> None:
    farm.poll("gone", "healthy-a")
    state = farm.storage.source_state("gone")
    assert state.status == "gone"
    assert state.next_poll_at is None
    farm.poller.clock = lambda: NOW + timedelta(days=30)
    due = {source.id for source in farm.poller.due_sources()}
    assert "gone" not in due
    assert "healthy-a" in due


@pytest.mark.parametrize("code", ["301", "308"])
def test_permanent_redirect_moves_later_polls_and_warns(
    farm: Farm, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    source_id = f"moved-{code}"
    new_url = farm.server.url(f"/new-{code}.xml")
    warning = f"source {source_id} moved permanently to {new_url}: update sources.toml"
    with caplog.at_level(logging.WARNING, logger="aggregator.poll.poller"):
        first = farm.poll(source_id)[source_id]
    state = farm.storage.source_state(source_id)
    assert state.status == "moved" and state.moved_to == new_url
    assert first.extra.get("warning") == warning
    assert warning in caplog.messages

    second = farm.poll(source_id)[source_id]
    assert second.ok and second.extra.get("warning") == warning  # still says so, every poll
    assert farm.server.hits(f"/old-{code}.xml") == 1
    assert farm.server.hits(f"/new-{code}.xml") == 2
    assert len(farm.storage.items()) == 2  # the same items, not duplicated by the move


def test_backoff_grows_on_failure_and_resets_on_success(farm: Farm) -> None:
    delays = []
    for _ in range(3):
        farm.poll("cut-mid-body")
        state = farm.storage.source_state("cut-mid-body")
        assert state.next_poll_at is not None
        delays.append((state.next_poll_at - NOW).total_seconds())
    assert state.error_count == 3 and state.status == "backoff"
    assert delays[0] < delays[1] < delays[2]  # 15m, 30m, 60m, each +-10%

    farm.server.routes["/cut.xml"] = Reply(body=rss("cut", 2))
    assert farm.poll("cut-mid-body")["cut-mid-body"].ok
    state = farm.storage.source_state("cut-mid-body")
    assert state.error_count == 0 and state.status == "ok" and state.last_error is None
    assert state.next_poll_at is not None
    assert (state.next_poll_at - NOW).total_seconds() <= 900 * 1.1
