"""A joint review through the CLI: `items set --review-type dhr --review-type sar` makes a DHR
also a SAR, which a review-type feed then publishes, and later polls leave alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from tests.support.e2e import RSS, SETTINGS, by_title, cli, feed_source, fixture, json_feed
from tests.support.feedserver import FeedServer

F = "DHR Mr F – overview report"
BUILD = "Wed, 15 Oct 2025 10:00:00 +0000"
FEEDS = """
[[feed]]
id = "all"
title = "Everything"

[[feed]]
id = "sars"
title = "Safeguarding Adults Reviews"
review_types = ["sar"]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.set("/a.xml", fixture("curation_board_a.xml", v="", build=BUILD), RSS)
        text = SETTINGS + feed_source("northshire-sab", server.url("/a.xml"), "reviews") + FEEDS
        (tmp_path / "sources.toml").write_text(text)
        yield server


def sars(workdir: Path) -> set[str]:
    return {entry.title for entry in feedparser.parse(workdir / "feeds" / "sars.atom").entries}


def test_a_dhr_set_to_be_also_a_sar_is_published_as_both(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "poll") == 0
    item = by_title(tmp_path)[F]
    assert item.review_types == ("dhr",) and F not in sars(tmp_path)
    assert (
        cli(tmp_path, "items", "set", str(item.id), "--review-type", "dhr", "--review-type", "sar")
        == 0
    )
    assert by_title(tmp_path)[F].review_types == ("dhr", "sar")
    assert F in sars(tmp_path)
    entry = next(i for i in json_feed(tmp_path)["items"] if i["title"] == F)
    assert entry["_aggregator"]["review_types"] == ["dhr", "sar"]

    changed = fixture("curation_board_a.xml", v=" Updated with the Board's response.", build=BUILD)
    server.set("/a.xml", changed, RSS)
    assert cli(tmp_path, "poll") == 0
    assert by_title(tmp_path)[F].review_types == ("dhr", "sar")
    capsys.readouterr()
    assert cli(tmp_path, "items", "show", str(item.id)) == 0
    shown = capsys.readouterr().out
    assert "reviews/dhr/sar" in shown and "set review_type=dhr+sar" in shown
