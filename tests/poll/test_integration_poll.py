"""End to end through the CLI: a real HTTP server on 127.0.0.1, a real SQLite store, outputs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import feedparser
import pytest

from aggregator.cli import main
from aggregator.store import Storage
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "integration"
RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=utf-8"


def sources_toml(server: FeedServer, extra: str = "") -> str:
    return f"""
[settings]
site_url = "https://feeds.example.org"
allow_private_networks = true
per_host_delay = "0s"

[[source]]
id = "northshire-sab"
name = "Northshire SAB"
url = "{server.url("/board-a/feed/")}"
category = "reviews"

[[source]]
id = "southvale"
name = "Southvale Safeguarding Partnership"
url = "{server.url("/board-b/feed/")}"
category = "news"

[[source]]
id = "govuk-cspr"
name = "GOV.UK: child safeguarding practice reviews"
url = "{server.url("/search/all.atom")}"
category = "reviews"
{extra}
"""


@pytest.fixture
def server() -> FeedServer:
    with FeedServer() as srv:
        srv.set("/board-a/feed/", (FIXTURES / "board_a_wordpress.xml").read_bytes(), RSS)
        srv.set("/board-b/feed/", (FIXTURES / "board_b_wordpress.xml").read_bytes(), RSS)
        srv.set("/search/all.atom", (FIXTURES / "govuk_finder.atom").read_bytes(), ATOM)
        yield srv


@pytest.fixture
def workdir(tmp_path: Path, server: FeedServer) -> Path:
    (tmp_path / "sources.toml").write_text(sources_toml(server))
    return tmp_path


def cli(workdir: Path, *args: str) -> int:
    return main(
        [
            "--sources", str(workdir / "sources.toml"),
            "--db", f"sqlite:///{workdir / 'db.sqlite'}",
            "--feeds-dir", str(workdir / "feeds"),
            *args,
        ]
    )  # fmt: skip


def stored(workdir: Path) -> list[tuple[str, int]]:
    storage = Storage.open(f"sqlite:///{workdir / 'db.sqlite'}")
    try:
        return sorted((item.title, len(item.sightings)) for item in storage.items())
    finally:
        storage.close()


def test_poll_stores_each_distinct_item_once(workdir: Path) -> None:
    assert cli(workdir, "poll") == 0
    items = stored(workdir)
    titles = [title for title, _ in items]
    assert len(items) == 6, items  # 7 entries, the Adult Z repost merged into the original
    assert len(set(titles)) == 6
    adult_z = [count for title, count in items if "Adult Z" in title]
    assert adult_z == [2]


def test_second_poll_is_conditional_and_stores_nothing_new(
    workdir: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(workdir, "poll") == 0
    before = stored(workdir)
    capsys.readouterr()
    assert cli(workdir, "poll") == 0
    for path in ("/board-a/feed/", "/board-b/feed/", "/search/all.atom"):
        second = server.requests_for(path)[-1]
        assert second.headers.get("If-None-Match"), path
        assert second.headers.get("If-Modified-Since"), path
        assert second.status == 304
    assert stored(workdir) == before
    assert capsys.readouterr().out.count("not modified") == 3


def test_publish_writes_valid_atom_rss_and_json_feed(workdir: Path) -> None:
    assert cli(workdir, "poll") == 0
    assert cli(workdir, "publish") == 0
    feeds = workdir / "feeds"
    for suffix in ("atom", "rss"):
        parsed = feedparser.parse((feeds / f"all.{suffix}").read_bytes())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == 6
        assert len({entry.id for entry in parsed.entries}) == 6
    document = json.loads((feeds / "all.json").read_text())
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == "https://feeds.example.org/all.json"
    merged = [item for item in document["items"] if "Adult Z" in item["title"]]
    sightings = merged[0]["_aggregator"]["sightings"]
    assert {s["source"] for s in sightings} == {"northshire-sab", "southvale"}
    assert "<script" not in (merged[0].get("content_html") or "")


def test_failing_source_is_reported_and_others_still_polled(
    workdir: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = f"""
[[source]]
id = "broken-board"
name = "Broken"
url = "{server.url("/missing/feed/")}"
"""
    (workdir / "sources.toml").write_text(sources_toml(server, extra))
    assert cli(workdir, "poll") == 0
    err_lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err_lines) == 1 and err_lines[0].startswith("broken-board: ")
    assert "404" in err_lines[0]
    assert len(stored(workdir)) == 6


def test_bad_configuration_exits_2_with_file_and_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "sources.toml"
    path.write_text(path.read_text().replace('category = "news"', 'category = "gossip"'))
    assert cli(workdir, "poll") == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "category" in err
    assert cli(workdir, "sources", "check") == 1


def test_poll_named_source_only(workdir: Path, server: FeedServer) -> None:
    assert cli(workdir, "poll", "--source", "southvale") == 0
    assert server.requests_for("/board-a/feed/") == []
    assert len(stored(workdir)) == 2


def test_publish_skips_an_unchanged_store_and_force_renders_anyway(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(workdir, "poll") == 0
    feeds = workdir / "feeds"
    good = (feeds / "all.atom").read_bytes()
    (feeds / "all.atom").write_bytes(b"edited by hand")
    assert cli(workdir, "poll") == 0  # every source answers 304: nothing to publish
    assert cli(workdir, "publish") == 0
    assert (feeds / "all.atom").read_bytes() == b"edited by hand"
    capsys.readouterr()
    assert cli(workdir, "publish", "--force") == 0
    assert (feeds / "all.atom").read_bytes() == good
    assert "1 file(s) changed" in capsys.readouterr().out


def test_a_poll_that_finds_nothing_new_logs_it_at_debug_only(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The running service logs at INFO: a warm poll of 1,000 sources would otherwise write
    1,000 'poll ok' lines an hour saying nothing happened."""
    with caplog.at_level(logging.DEBUG, logger="aggregator.poll.poller"):
        assert cli(workdir, "poll") == 0
        first = [r for r in caplog.records if r.getMessage() == "poll ok"]
        caplog.clear()
        assert cli(workdir, "poll") == 0  # every source answers 304
        second = [r for r in caplog.records if r.getMessage() == "poll ok"]
    assert len(first) == 3 and all(r.levelno == logging.INFO for r in first)
    assert len(second) == 3 and all(r.levelno == logging.DEBUG for r in second)
