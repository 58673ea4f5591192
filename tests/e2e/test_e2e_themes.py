"""Themes end to end through the CLI: found when polled, chosen with `items set --theme`,
kept when the feeds are polled again, published, filtered by a [[feed]] and by `items list`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.config import check_config
from tests.support.e2e import RSS, SETTINGS, by_title, cli, feed_source, fixture, json_feed
from tests.support.feedserver import FeedServer

Q = "SAR Adult Q – self-neglect"
F = "DHR Mr F – overview report"
FEEDS = """
[[feed]]
id = "all"
title = "Everything"

[[feed]]
id = "self-neglect"
title = "Self-neglect and hoarding"
themes = ["self-neglect"]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.set("/a.xml", fixture("curation_board_a.xml", v="", build=_BUILD), RSS)
        text = SETTINGS + feed_source("northshire-sab", server.url("/a.xml"), "reviews") + FEEDS
        (tmp_path / "sources.toml").write_text(text)
        yield server


_BUILD = "Wed, 15 Oct 2025 10:00:00 +0000"


def themes_of(workdir: Path) -> dict[str, tuple[str, ...]]:
    return {title: item.themes for title, item in by_title(workdir).items()}


def test_curated_themes_stick_across_polls_and_are_published(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "poll") == 0
    found = themes_of(tmp_path)
    assert (found[Q], found[F]) == (("self-neglect",), ("domestic-abuse",))
    ids = {title: item.id for title, item in by_title(tmp_path).items()}
    assert cli(tmp_path, "items", "set", str(ids[Q]), "--theme", "hoarding") == 0
    assert cli(tmp_path, "items", "set", str(ids[F]), "--no-themes") == 0

    update = fixture("curation_board_a.xml", v=" Updated with the Board's response.", build=_BUILD)
    server.set("/a.xml", update, RSS)
    assert cli(tmp_path, "poll") == 0
    found = themes_of(tmp_path)
    assert (found[Q], found[F]) == (("self-neglect", "hoarding"), ())
    entry = next(i for i in json_feed(tmp_path)["items"] if i["title"] == Q)
    assert entry["_aggregator"]["themes"] == ["self-neglect", "hoarding"]
    assert {"Self-neglect", "Hoarding"} <= set(entry["tags"])
    assert "Updated with the Board" in entry["summary"]
    assert [i["title"] for i in json_feed(tmp_path, "self-neglect.json")["items"]] == [Q]

    assert cli(tmp_path, "items", "set", str(ids[F]), "--auto-themes") == 0
    assert themes_of(tmp_path)[F] == ("domestic-abuse",)
    capsys.readouterr()
    assert cli(tmp_path, "items", "list", "--theme", "hoarding") == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.endswith(Q)
    assert cli(tmp_path, "items", "show", str(ids[F])) == 0
    shown = capsys.readouterr().out
    assert "themes: domestic-abuse" in shown
    assert "set themes=(none)" in shown and "set themes=(source)" in shown


def test_items_set_refuses_a_theme_outside_the_vocabulary(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "poll") == 0
    item_id = str(by_title(tmp_path)[Q].id)
    with pytest.raises(SystemExit):
        cli(tmp_path, "items", "set", item_id, "--theme", "drugs")
    assert "invalid choice: 'drugs'" in capsys.readouterr().err
    assert themes_of(tmp_path)[Q] == ("self-neglect",)


def test_sources_check_names_the_line_of_an_unknown_theme(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[feed]]\nid = "x"\ntitle = "X"\nthemes = ["drugs"]\n')
    assert [(e.line, e.message) for e in check_config(path)] == [
        (4, 'feed "x": themes: "drugs" is not a theme (the README lists them)')
    ]
