"""Curation through the CLI sticks across re-polls; unchanged outputs stay untouched (304s)."""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from aggregator.web import create_app
from aggregator.web.server import make_server
from tests.support.e2e import (
    RSS,
    SETTINGS,
    by_title,
    cli,
    feed_source,
    fixture,
    json_feed,
    stored_items,
)
from tests.support.feedserver import FeedServer

Q = "SAR Adult Q – self-neglect"
F = "DHR Mr F – overview report"
HIGHLIGHTS = "Board meeting highlights: September"
Y = "Safeguarding Adults Review: Adult Y"
BRIEFING = "Learning briefing for housing providers"
MRS_H = "SAR Mrs H – pressure ulcers in a nursing home"
CONFERENCE = "Winter safeguarding conference: book now"


class Boards:
    """Two partner feeds whose bodies can be changed between polls."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server

    def publish(self, version: str, build: str = "Wed, 15 Oct 2025 10:00:00 +0000") -> None:
        for name in ("a", "b"):
            body = fixture(f"curation_board_{name}.xml", v=version, build=build)
            self.server.set(f"/{name}.xml", body, RSS)


@pytest.fixture
def boards(tmp_path: Path) -> Iterator[Boards]:
    with FeedServer() as server:
        text = SETTINGS + feed_source("northshire-sab", server.url("/a.xml"), "reviews")
        text += feed_source("southvale", server.url("/b.xml"), "news")
        (tmp_path / "sources.toml").write_text(text)
        boards = Boards(server)
        boards.publish("")
        yield boards


def outputs(workdir: Path) -> dict[str, str]:
    feeds = workdir / "feeds"
    return {name: (feeds / name).read_text() for name in ("all.atom", "all.rss", "latest.html")}


def curate(workdir: Path) -> dict[str, int]:
    ids = {title: item.id for title, item in by_title(workdir).items()}
    assert cli(workdir, "items", "hide", str(ids[Q])) == 0
    assert cli(workdir, "items", "delete", str(ids[F])) == 0
    assert cli(workdir, "items", "pin", str(ids[MRS_H])) == 0
    assert cli(workdir, "items", "set", str(ids[HIGHLIGHTS]), "--review-type", "learning") == 0
    assert cli(workdir, "items", "merge", str(ids[Y]), str(ids[BRIEFING])) == 0
    return ids


def assert_curation_holds(workdir: Path, ids: dict[str, int]) -> None:
    texts = outputs(workdir)
    document = json_feed(workdir)
    titles = [item["title"] for item in document["items"]]
    for gone in (Q, F, BRIEFING):
        assert gone not in titles and all(gone not in text for text in texts.values()), gone
    assert titles[0] == MRS_H and document["items"][0]["_aggregator"]
    atom = feedparser.parse(texts["all.atom"].encode())
    assert atom.entries[0].title == MRS_H
    block = texts["latest.html"]
    assert block.index(MRS_H) < min(block.index(Y), block.index(HIGHLIGHTS))
    highlights = next(item for item in document["items"] if item["title"] == HIGHLIGHTS)
    assert {"reviews", "learning"} <= set(highlights["tags"])
    merged = next(item for item in document["items"] if item["title"] == Y)
    sightings = merged["_aggregator"]["sightings"]
    assert {(s["source"], s["url"].split("/")[2]) for s in sightings} == {
        ("northshire-sab", "northshiresab.example.org"),
        ("southvale", "southvale.example.org"),
    }
    live = by_title(workdir)
    assert F not in live and live[Q].hidden and live[Y].id == ids[Y]
    assert len(stored_items(workdir, include_hidden=False)) == 4


def test_curation_sticks_when_changed_feeds_are_polled_again(
    tmp_path: Path, boards: Boards, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "poll") == 0
    assert len(stored_items(tmp_path)) == 7
    ids = curate(tmp_path)
    assert_curation_holds(tmp_path, ids)

    boards.publish(" Updated with the Board's response.")
    capsys.readouterr()
    assert cli(tmp_path, "poll") == 0
    polled = capsys.readouterr().out
    assert "northshire-sab: 0 new, 5 updated" in polled and "southvale: 0 new, 2 updated" in polled
    assert_curation_holds(tmp_path, ids)
    assert "Updated with the Board" in json_feed(tmp_path)["items"][0]["summary"]

    assert cli(tmp_path, "items", "split", str(ids[Y])) == 0
    boards.publish(" Action plan added.")
    assert cli(tmp_path, "poll") == 0
    live = by_title(tmp_path)
    assert live[Y].id == ids[Y] and [s.source_id for s in live[Y].sightings] == ["northshire-sab"]
    assert [s.source_id for s in live[BRIEFING].sightings] == ["southvale"]
    assert live[BRIEFING].public_id != live[Y].public_id
    titles = [item["title"] for item in json_feed(tmp_path)["items"]]
    assert BRIEFING in titles and Q not in titles and F not in titles and titles[0] == MRS_H


# --- outputs untouched by an unchanged re-poll, and what subscribers get for it ---


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    """host:port of the real web server on the feeds directory."""
    (tmp_path / "feeds").mkdir(exist_ok=True)
    server = make_server(create_app(tmp_path / "feeds"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"{server.host}:{server.port}"
    finally:
        server.close()
        thread.join(timeout=10)


def get(address: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def snapshot(feeds: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(feeds.iterdir())}


def test_unchanged_repoll_and_publish_leave_outputs_untouched_so_readers_get_304(
    tmp_path: Path, boards: Boards, web: str
) -> None:
    assert cli(tmp_path, "poll") == 0
    feeds = tmp_path / "feeds"
    for path in feeds.iterdir():  # an old mtime: any rewrite would show
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = snapshot(feeds)
    assert {"all.atom", "all.rss", "all.json", "latest.html", "latest.json"} <= set(before)
    first = {name: get(web, f"/{name}") for name in ("all.atom", "all.json", "latest.html")}
    assert all(r.status == 200 and r.getheader("ETag") for r in first.values())

    assert cli(tmp_path, "poll") == 0  # conditional GETs: 304 from the boards
    boards.publish("", build="Thu, 16 Oct 2025 07:00:00 +0000")  # new bytes, same items
    assert cli(tmp_path, "poll") == 0
    assert cli(tmp_path, "publish") == 0
    assert snapshot(feeds) == before

    for name, response in first.items():
        etag, modified = response.getheader("ETag"), response.getheader("Last-Modified")
        assert get(web, f"/{name}", {"If-None-Match": str(etag)}).status == 304, name
        assert get(web, f"/{name}", {"If-Modified-Since": str(modified)}).status == 304, name
