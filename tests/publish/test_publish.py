"""publish: every output written atomically, and rewritten only when its bytes change;
OPML out and in; the WebSub ping."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
import requests
import responses
from lxml import etree

from aggregator.config.types import Config, FeedConfig, Settings, SourceConfig
from aggregator.errors import AggregatorError, FetchError, ParseError
from aggregator.publish import parse_opml, ping_websub, publish, write_if_changed
from aggregator.publish.opml import build_opml
from aggregator.publish.stamp import STAMP_NAME
from tests.fixtures.publish.support import HERE, NOW, FakeReader, load_items

SOURCES = (
    SourceConfig("exampleshire-scp", "Exampleshire SCP", "feed", "https://www.exampleshire-scp.org.uk/feed/"),
    SourceConfig("govuk-cspr", "gov.uk CSPR publications", "govuk-search", "https://www.gov.uk/api/search.json"),
    SourceConfig("old-board", "Closed board", "feed", "https://old.example.org/rss", enabled=False),
    SourceConfig("sab", "Exampleshire SAB & Partners", "html", "https://www.exampleshire-sab.org.uk/reviews/"),
)  # fmt: skip
CONFIG = Config(
    "sources.toml", Settings(site_url="https://feeds.example-partnership.org.uk"), SOURCES
)
EXPECTED = {
    f"{feed}{suffix}" for feed in ("all", "reviews", "news", "training")
    for suffix in (".atom", ".rss", ".json")
} | {"all.ics", "training.ics", "latest.html", "latest.json", "sources.opml"}  # fmt: skip


def snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in directory.iterdir()}


def test_first_publish_writes_every_output(tmp_path: Path) -> None:
    store = FakeReader(load_items())
    changed = publish(store, CONFIG, tmp_path, now=NOW)
    assert {p.name for p in changed} == EXPECTED
    # No temp files left behind; the stamp of what was rendered is a dot file beside them.
    assert {p.name for p in tmp_path.iterdir()} == EXPECTED | {STAMP_NAME}
    # The same run stores each document, as web nodes serve it, beside the files.
    assert {name: body for name, (body, _) in store.documents.items()} == {
        name: (tmp_path / name).read_bytes() for name in EXPECTED
    }
    assert all(p.parent == tmp_path for p in changed)
    for name in EXPECTED:
        if name.endswith((".atom", ".rss")):
            assert feedparser.parse(tmp_path / name).bozo == 0, name


def test_unchanged_store_rewrites_nothing(tmp_path: Path) -> None:
    reader = FakeReader(load_items())
    publish(reader, CONFIG, tmp_path, now=NOW)
    before = snapshot(tmp_path)
    later = NOW + timedelta(hours=3)  # time passes; nothing in the store changes
    assert publish(reader, CONFIG, tmp_path, now=later) == []
    assert snapshot(tmp_path) == before


def test_one_real_update_rewrites_only_the_feeds_it_is_in(tmp_path: Path) -> None:
    reader = FakeReader(load_items())
    publish(reader, CONFIG, tmp_path, now=NOW)
    reader.update(106, summary="Now also in person in Exampletown.", updated=NOW)
    changed = {p.name for p in publish(reader, CONFIG, tmp_path, now=NOW)}
    # 106 is a dated event: the calendars carry its description too.
    assert changed == {
        "all.atom", "all.rss", "all.json", "training.atom", "training.rss", "training.json",
        "all.ics", "training.ics", "latest.html", "latest.json",
    }  # fmt: skip
    parsed = feedparser.parse(tmp_path / "training.atom")
    assert parsed.feed.updated_parsed[:6] == NOW.timetuple()[:6]
    assert parsed.entries[0].summary == "Now also in person in Exampletown."


def test_hiding_an_item_removes_it(tmp_path: Path) -> None:
    reader = FakeReader(load_items())
    publish(reader, CONFIG, tmp_path, now=NOW)
    reader.update(104, hidden=True)
    changed = {p.name for p in publish(reader, CONFIG, tmp_path, now=NOW)}
    assert "news.atom" in changed and "training.atom" not in changed
    assert b"neglect strategy" not in (tmp_path / "news.rss").read_bytes()
    assert b"neglect strategy" not in (tmp_path / "latest.html").read_bytes()


def test_configured_feeds(tmp_path: Path) -> None:
    feeds = (FeedConfig("dhr", "DHRs", categories=("reviews",), review_types=("dhr",)),)
    config = replace(CONFIG, feeds=feeds)
    changed = {p.name for p in publish(FakeReader(load_items()), config, tmp_path, now=NOW)}
    assert changed == {
        "dhr.atom",
        "dhr.rss",
        "dhr.json",
        "latest.html",
        "latest.json",
        "sources.opml",
    }
    entries = feedparser.parse(tmp_path / "dhr.atom").entries
    assert [e.title for e in entries] == ["Domestic Homicide Review: Adult B (published)"]


def test_write_if_changed(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "all.atom"
    assert write_if_changed(target, b"one") is True
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    inode = target.stat().st_ino
    assert write_if_changed(target, b"one") is False
    assert target.stat().st_ino == inode
    assert write_if_changed(target, b"two") is True
    assert target.read_bytes() == b"two" and target.stat().st_ino != inode
    assert os.listdir(target.parent) == ["all.atom"]


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "all.atom"
    versions = [bytes([65 + n]) * 400_000 for n in range(6)]
    write_if_changed(target, versions[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def read_continuously() -> None:
        while not done.is_set():
            seen.add(target.read_bytes())

    reader = threading.Thread(target=read_continuously)
    reader.start()
    for _ in range(5):
        for version in versions:
            write_if_changed(target, version)
    done.set()
    reader.join()
    assert seen <= set(versions)


def test_failed_write_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "all.rss"
    write_if_changed(target, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_if_changed(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["all.rss"]


# --- OPML ---


def test_opml_lists_enabled_sources() -> None:
    root = etree.fromstring(build_opml(CONFIG))
    assert root.get("version") == "2.0"
    assert root.findtext("head/title")
    outlines = root.findall("body/outline")
    assert [o.get("text") for o in outlines] == [
        "Exampleshire SCP", "gov.uk CSPR publications", "Exampleshire SAB & Partners",
    ]  # fmt: skip
    feed = outlines[0]
    assert (feed.get("type"), feed.get("xmlUrl"), feed.get("htmlUrl")) == (
        "rss", "https://www.exampleshire-scp.org.uk/feed/", "https://www.exampleshire-scp.org.uk/",
    )  # fmt: skip
    assert outlines[1].get("xmlUrl") is None and outlines[1].get("type") == "link"
    assert build_opml(CONFIG) == build_opml(CONFIG)  # no creation date: deterministic


def test_opml_round_trip() -> None:
    assert parse_opml(build_opml(CONFIG)) == [
        ("Exampleshire SCP", "https://www.exampleshire-scp.org.uk/feed/", "https://www.exampleshire-scp.org.uk/")
    ]  # fmt: skip


def test_parse_reader_export_with_folders() -> None:
    found = parse_opml((HERE / "feedly-export.opml").read_bytes())
    assert found == [
        ("Exampleshire Safeguarding Children Partnership", "https://www.exampleshire-scp.org.uk/feed/",
         "https://www.exampleshire-scp.org.uk"),
        ("Exampleshire SAB & friends", "https://www.exampleshire-sab.org.uk/news/rss.xml", None),
        ("Child Safeguarding Practice Review Panel - Activity on GOV.UK",
         "https://www.gov.uk/government/organisations/child-safeguarding-practice-review-panel.atom",
         "https://www.gov.uk/government/organisations/child-safeguarding-practice-review-panel"),
    ]  # fmt: skip


def test_parse_opml_does_not_resolve_external_entities() -> None:
    hostname = Path("/etc/hostname")
    found = parse_opml((HERE / "xxe.opml").read_bytes())
    assert found == [("Leaky", "https://example.org/feed/", None)]
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in repr(found)


def test_parse_opml_refuses_external_entities_in_attributes() -> None:
    with pytest.raises(ParseError):
        parse_opml((HERE / "xxe-attribute.opml").read_bytes())


def test_parse_opml_refuses_entity_bombs() -> None:
    with pytest.raises(ParseError):  # libxml2 stops the amplification; nothing is expanded
        parse_opml((HERE / "laughs.opml").read_bytes())


@pytest.mark.parametrize("data", [b"", b"<opml><body>", b"<rss version='2.0'/>"])
def test_parse_opml_rejects_non_opml(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_opml(data)


# --- WebSub ---


@responses.activate
def test_ping_websub_posts_each_changed_feed() -> None:
    hub = "https://websub.example.net/"
    responses.post(hub, status=204)
    urls = ["https://feeds.example.org/all.atom", "https://feeds.example.org/all.rss"]
    ping_websub(hub, urls, requests.Session())
    bodies = [call.request.body for call in responses.calls]
    assert bodies == [
        "hub.mode=publish&hub.url=https%3A%2F%2Ffeeds.example.org%2Fall.atom",
        "hub.mode=publish&hub.url=https%3A%2F%2Ffeeds.example.org%2Fall.rss",
    ]
    assert responses.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"


@responses.activate
def test_ping_websub_refused_raises_fetch_error() -> None:
    responses.post("https://websub.example.net/", status=400, body="hub.url not allowed")
    with pytest.raises(FetchError) as raised:
        ping_websub(
            "https://websub.example.net/", ["https://f.example.org/a.atom"], requests.Session()
        )
    assert raised.value.status == 400
    assert isinstance(raised.value, AggregatorError)


@responses.activate
def test_ping_websub_unreachable_raises_fetch_error() -> None:
    responses.post("https://websub.example.net/", body=requests.ConnectionError("refused"))
    with pytest.raises(FetchError, match="unreachable"):
        ping_websub(
            "https://websub.example.net/", ["https://f.example.org/a.atom"], requests.Session()
        )


@responses.activate
def test_ping_websub_nothing_changed_sends_nothing() -> None:
    ping_websub("https://websub.example.net/", [], requests.Session())
    assert len(responses.calls) == 0


def test_stale_temp_files_of_a_killed_publisher_are_removed(tmp_path: Path) -> None:
    import time

    from aggregator.publish.atomic import STALE_TEMP_SECONDS, remove_stale_temps

    stale = tmp_path / ".all.atom.abc123.tmp"
    fresh = tmp_path / ".all.rss.def456.tmp"
    published = tmp_path / "all.atom"
    for path in (stale, fresh, published):
        path.write_bytes(b"x")
    old = time.time() - STALE_TEMP_SECONDS - 10
    os.utime(stale, (old, old))
    os.utime(published, (old, old))
    assert remove_stale_temps(tmp_path) == [stale]
    assert not stale.exists() and fresh.exists() and published.exists()
