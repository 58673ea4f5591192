"""`aggregator worker --once` on SQLite: polls what is due, gives leases back, publishes to
files and to the store, and a second run finds nothing due."""

from __future__ import annotations

from pathlib import Path

from aggregator.cli import main
from aggregator.runtime.worker import Worker
from aggregator.store import Storage
from tests.poll.test_integration_poll import FIXTURES, RSS
from tests.support.feedserver import FeedServer

TOML = """[settings]
allow_private_networks = true
per_host_delay = "0s"
robots = false

[[source]]
id = "board-a"
name = "Board A"
url = "{a}"
category = "reviews"

[[source]]
id = "board-b"
name = "Board B"
url = "{b}"
category = "news"
max_items = 1
"""


def test_worker_once_polls_releases_and_publishes(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/a/", (FIXTURES / "board_a_wordpress.xml").read_bytes(), RSS)
        server.set("/b/", (FIXTURES / "board_b_wordpress.xml").read_bytes(), RSS)
        sources = tmp_path / "sources.toml"
        sources.write_text(TOML.format(a=server.url("/a/"), b=server.url("/b/")))
        db = f"sqlite:///{tmp_path / 'db.sqlite'}"
        args = ["--sources", str(sources), "--db", db, "--feeds-dir", str(tmp_path / "feeds")]
        assert main([*args, "worker", "--id", "w1", "--once", "--batch", "1"]) == 0
        assert len(server.requests_for("/a/")) == len(server.requests_for("/b/")) == 1
        assert main([*args, "worker", "--id", "w2", "--once"]) == 0  # nothing due any more
        assert len(server.requests) == 2
    with Storage.open(db) as storage:
        states = storage.source_states()
        assert [s.status for s in states] == ["ok", "ok"]
        assert len(storage.items(sources=("board-b",))) == 1  # max_items: retention ran
        stored = storage.document("all.atom")
        assert stored is not None
        assert stored.body == (tmp_path / "feeds" / "all.atom").read_bytes()
        assert storage.claim_due("other", ["board-a"], now=states[0].next_poll_at, ttl=1, limit=1)


def test_a_stopped_worker_finishes_without_polling(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(TOML.format(a="http://127.0.0.1:9/a", b="http://127.0.0.1:9/b"))
    worker = Worker(sources, f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "feeds")
    worker.stop()
    worker.run()
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        assert storage.source_states() == []
