"""sources.toml: loading, validation with line numbers, reloading, and comment-preserving edits."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

from aggregator.config import (
    DEFAULT_FEEDS,
    Config,
    ConfigWatcher,
    FeedConfig,
    KeywordRule,
    Selectors,
    Settings,
    SourceConfig,
    check_config,
    load_config,
    parse_duration,
)
from aggregator.config.edit import append_source, update_source
from aggregator.errors import ConfigErrors

FIXTURES = Path(__file__).parents[1] / "fixtures" / "config"
ERROR_FIXTURES = sorted((FIXTURES / "errors").glob("*.toml"))
EXPECT = re.compile(r"#\s*expect:\s*(.+?)\s*$")

MINIMAL = """\
# Partnership sources
[settings]
interval = "1h"

[[source]]
id = "govuk-dhr"
name = "GOV.UK: domestic homicide reviews"
url = "https://www.gov.uk/search/all.atom?keywords=domestic+homicide+review"
"""


def expected_full(path: Path) -> Config:
    settings = Settings(
        site_url="https://www.safeguarding.example.org.uk/feeds/",
        allow_private_networks=False,
        interval=3600.0,
        timeout=20.0,
        deadline=90.0,
        max_bytes=5242880,
        per_host_concurrency=1,
        per_host_delay=2.0,
        tracking_params=("src", "mc_cid"),
        block_template=str((FIXTURES / "block.html").resolve()),
        block_items=6,
        websub_hub="https://pubsubhubbub.appspot.com/",
        max_item_age=730 * 86400.0,
        max_items_per_source=500,
        robots=True,
        rules=(
            KeywordRule("rapid review", "reviews", "cspr"),
            KeywordRule(r"\b7\s*minute briefing\b", None, "learning"),
        ),
    )
    sources = (
        SourceConfig(
            id="govuk-dhr",
            name="GOV.UK: domestic homicide reviews",
            type="feed",
            url="https://www.gov.uk/search/all.atom?keywords=domestic+homicide+review&order=updated-newest",
            category="reviews",
            line=32,
        ),
        SourceConfig(
            id="govuk-search-sar",
            name="GOV.UK search: safeguarding adults reviews",
            type="govuk-search",
            url="https://www.gov.uk/api/search.json",
            interval=6 * 3600.0,
            identity="link",
            link_base="https://www.gov.uk",
            query=(
                ("q", "safeguarding adults review"),
                ("filter_organisations", "department-of-health-and-social-care"),
                ("filter_organisations", "care-quality-commission"),
                ("order", "-public_timestamp"),
                ("count", "50"),
            ),
            line=39,
        ),
        SourceConfig(
            id="board_sars",
            name="Wolverhampton Safeguarding Together: SARs",
            type="html",
            url="https://www.wolverhamptonsafeguarding.org.uk/safeguarding-adults-reviews/",
            interval=7200.0,
            category="reviews",
            enabled=False,
            select=Selectors(
                item="article.review, div.views-row",
                title="h3 a",
                link="h3 a@href",
                date="time@datetime",
                summary="div.field--name-body p",
                event_date="@data-event",
            ),
            rules=(
                KeywordRule("7MB|7 minute briefing", "reviews", "learning"),
                KeywordRule("conference|webinar", "training", None),
            ),
            per_host_concurrency=1,
            per_host_delay=5.0,
            robots=False,
            max_item_age=365 * 86400.0,
            max_items=100,
            line=55,
        ),
    )
    feeds = (
        FeedConfig(
            id="reviews",
            title="Safeguarding reviews",
            description="DHR, SAR and CSPR publications",
            categories=("reviews",),
            review_types=("dhr", "sar", "cspr"),
            sources=("govuk-dhr", "board_sars"),
            include=(),
            exclude=("(?i)job vacancy", "^Closed:"),
            max_age=365 * 86400.0,
            limit=100,
        ),
        FeedConfig(id="everything", title="Safeguarding: everything"),
    )
    return Config(str(path), settings, sources, feeds)


def expected_problems(path: Path) -> list[tuple[int, str]]:
    """The `# expect: <part of the message>` markers written on the offending lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(n, m.group(1)) for n, text in enumerate(lines, 1) if (m := EXPECT.search(text))]


def copy_full(folder: Path) -> Path:
    shutil.copy(FIXTURES / "block.html", folder / "block.html")
    return Path(shutil.copy(FIXTURES / "full.toml", folder / "sources.toml"))


# --- loading ----------------------------------------------------------------------------


def test_full_file_loads_to_the_expected_dataclasses() -> None:
    path = FIXTURES / "full.toml"
    assert load_config(path) == expected_full(path)
    assert check_config(path) == []


def test_without_any_feed_the_default_feeds_are_published(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    config = load_config(path)
    assert config.feeds == DEFAULT_FEEDS
    assert config.sources[0].type == "feed"
    assert config.interval_of(config.sources[0]) == 3600.0


def test_govuk_search_url_defaults_only_with_a_query_table(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nid = "s"\nname = "S"\ntype = "govuk-search"\n'
        '[[source]]\nid = "t"\nname = "T"\ntype = "govuk-search"\n[source.query]\nq = "sar"\n',
        encoding="utf-8",
    )
    errors = check_config(path)
    assert [(e.line, e.message) for e in errors] == [
        (1, 'source "s": "url" or a [source.query] table is required')
    ]


def test_allow_private_networks_lowers_the_minimum_interval(tmp_path: Path) -> None:
    source = '[[source]]\nid = "local"\nname = "L"\nurl = "http://127.0.0.1:8000/feed"\n'
    path = tmp_path / "sources.toml"
    path.write_text(source + 'interval = "2s"\n', encoding="utf-8")
    assert [e.line for e in check_config(path)] == [5]
    path.write_text("[settings]\nallow_private_networks = true\n" + source + 'interval = "2s"\n')
    assert load_config(path).sources[0].interval == 2.0


@pytest.mark.parametrize("path", ERROR_FIXTURES, ids=lambda p: p.stem)
def test_each_problem_is_reported_on_its_line(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, "fixture without # expect: markers"
    errors = check_config(path)
    assert [e.line for e in errors] == [line for line, _ in expected]
    for error, (_, fragment) in zip(errors, expected, strict=True):
        assert fragment in error.message
        assert error.path == str(path)
        assert str(error).startswith(f"{path}:{error.line}: ")


def test_every_problem_is_reported_at_once() -> None:
    path = FIXTURES / "errors" / "type_errors.toml"
    with pytest.raises(ConfigErrors) as raised:
        load_config(path)
    assert len(raised.value.errors) == 11
    assert str(raised.value).count(f"{path}:") == 11


def test_missing_file_is_reported_on_line_0(tmp_path: Path) -> None:
    errors = check_config(tmp_path / "nope.toml")
    assert [(e.line, e.message) for e in errors] == [(0, "no such file")]


def test_block_template_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[settings]\nblock_template = "missing.html"\n', encoding="utf-8")
    assert [(e.line, "no such file" in e.message) for e in check_config(path)] == [(2, True)]


def test_lines_stay_right_after_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[settings]\n"
        "tracking_params = [\n"
        '  "src",   # [brackets] in a comment\n'
        '  "utm_id",\n'
        "]\n"
        '[[feed]]\nid = "a"\ntitle = "A"\n'
        'description = """\n'
        "[[feed]]\n"
        'limit = "not a key"\n'
        '"""\n'
        "limit = 0\n",
        encoding="utf-8",
    )
    errors = check_config(path)
    assert [(e.line, e.message) for e in errors] == [
        (13, 'feed "a": limit: must be between 1 and 1000, not 0')
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800), ("1h30m", 5400), (45, 45),
     ("90", 90), ("0s", 0), (" 1h 5s ", 3605)],
)  # fmt: skip
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1w", "30m1h", "-5s", "h", -1])
def test_parse_duration_rejects(text: str | int) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


# --- watching ----------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.changes: list[Config] = []
        self.errors: list[ConfigErrors] = []

    def changed(self, config: Config) -> None:
        self.changes.append(config)

    def failed(self, errors: ConfigErrors) -> None:
        self.errors.append(errors)


def test_watcher_keeps_the_last_good_config_and_picks_up_a_good_edit(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    seen = Recorder()
    watcher = ConfigWatcher(path, seen.changed, seen.failed)
    first = watcher.current
    assert watcher.check_now() is False

    path.write_text(MINIMAL.replace('interval = "1h"', 'interval = "1 hour"'), encoding="utf-8")
    assert watcher.check_now() is False
    assert watcher.check_now() is False
    assert watcher.current is first
    assert len(seen.errors) == 1  # once per bad version, not once per look
    assert seen.errors[0].errors[0].line == 3

    path.write_text(MINIMAL.replace('interval = "1h"', 'interval = "2h"'), encoding="utf-8")
    assert watcher.check_now() is True
    assert watcher.current.settings.interval == 7200.0
    assert seen.changes == [watcher.current]

    path.unlink()
    assert watcher.check_now() is False
    assert watcher.current.settings.interval == 7200.0
    assert [e.errors[0].message for e in seen.errors[1:]] == ["no such file"]


def test_watcher_refuses_a_bad_first_load(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("[[source]]\nid = 3\n", encoding="utf-8")
    seen = Recorder()
    with pytest.raises(ConfigErrors):
        ConfigWatcher(path, seen.changed, seen.failed)


# --- editing ----------------------------------------------------------------------------


def only_insertions(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails when any line of `before` changed or went."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), f"changed: {a[i1:i2]!r} -> {b[j1:j2]!r}"
        if tag == "insert":
            added.extend(b[j1:j2])
    return added


NEW_SOURCE = {
    "id": "sandwell-news",
    "name": "Sandwell Children's Safeguarding Partnership: news",
    "type": "feed",
    "url": "https://www.sandwellcsp.org.uk/feed/",
    "category": "news",
}


def test_append_source_keeps_every_existing_byte(tmp_path: Path) -> None:
    path = copy_full(tmp_path)
    before = path.read_text(encoding="utf-8")
    append_source(path, NEW_SOURCE)
    after = path.read_text(encoding="utf-8")

    added = only_insertions(before, after)
    assert "[[source]]\n" in added
    assert after.index('id = "sandwell-news"') < after.index("# --- output feeds")
    config = load_config(path)
    assert [s.id for s in config.sources] == ["govuk-dhr", "govuk-search-sar", "board_sars",
                                              "sandwell-news"]  # fmt: skip
    assert config.sources[-1].category == "news"
    assert config.feeds == expected_full(path).feeds
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block.html", "sources.toml"]


def test_append_source_with_subtables(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(MINIMAL + '\n[[feed]]\nid = "all"\ntitle = "All"\n', encoding="utf-8")
    append_source(
        path,
        {"id": "board", "name": "Board", "type": "html", "url": "https://board.example.org/",
         "select": {"item": "article", "link": "a@href"},
         "rule": [{"pattern": "webinar", "category": "training"}]},
    )  # fmt: skip
    source = load_config(path).source("board")
    assert source is not None
    assert source.select == Selectors(item="article", link="a@href")
    assert source.rules == (KeywordRule("webinar", "training"),)


def test_append_source_to_a_file_without_sources(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("# nothing yet\n[settings]\nrobots = true", encoding="utf-8")
    append_source(path, NEW_SOURCE)
    assert path.read_text(encoding="utf-8").startswith("# nothing yet\n[settings]\nrobots = true\n")
    assert [s.id for s in load_config(path).sources] == ["sandwell-news"]


@pytest.mark.parametrize(
    "change",
    [{"id": "govuk-dhr"}, {"url": "sandwellcsp.org.uk/feed"}, {"interval": "fortnightly"},
     {"type": "html"}, {"colour": "red"}],
)  # fmt: skip
def test_append_source_refuses_an_invalid_source(tmp_path: Path, change: dict[str, str]) -> None:
    path = copy_full(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ConfigErrors) as raised:
        append_source(path, {**NEW_SOURCE, **change})
    assert raised.value.errors[0].line > 84  # in the would-be file: the new source, after line 84
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block.html", "sources.toml"]


def test_update_source_sets_and_removes_keys_keeping_comments(tmp_path: Path) -> None:
    path = copy_full(tmp_path)
    before = path.read_text(encoding="utf-8")
    update_source(path, "board_sars", {"enabled": True, "robots": None, "interval": "3h"})
    after = path.read_text(encoding="utf-8")
    assert [line for line in before.splitlines() if "#" in line] == [
        line for line in after.splitlines() if "#" in line
    ]
    source = load_config(path).source("board_sars")
    assert source is not None
    assert (source.enabled, source.robots, source.interval) == (True, None, 3 * 3600.0)


def test_update_source_refuses_invalid_or_unknown(tmp_path: Path) -> None:
    path = copy_full(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ConfigErrors, match="interval"):
        update_source(path, "govuk-dhr", {"interval": "10s"})
    with pytest.raises(ConfigErrors, match="no source has the id"):
        update_source(path, "nobody", {"enabled": False})
    assert path.read_bytes() == before


def test_update_source_edits_a_subtable_in_place(tmp_path: Path) -> None:
    path = copy_full(tmp_path)
    before = path.read_text(encoding="utf-8")
    update_source(path, "board_sars", {"select": {"item": "li.sar", "link": "a@href"}})
    after = path.read_text(encoding="utf-8")
    assert [line for line in before.splitlines() if line.startswith("#")] == [
        line for line in after.splitlines() if line.startswith("#")
    ]
    source = load_config(path).source("board_sars")
    assert source is not None
    assert source.select == Selectors(item="li.sar", link="a@href")
    assert len(source.rules) == 2


def test_append_source_keeps_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    append_source(path, NEW_SOURCE)
    data = path.read_bytes()
    assert data.startswith(MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert [s.id for s in load_config(path).sources] == ["govuk-dhr", "sandwell-news"]


def test_file_that_is_not_utf8_or_not_shaped_right(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes('[settings]\nsite_url = "https://caf\xe9.example"\n'.encode("latin-1"))
    assert [e.line for e in check_config(path)] == [0]
    path.write_text('colour = "red"\n\n[source]\nid = "x"\n', encoding="utf-8")
    assert [(e.line, e.message) for e in check_config(path)] == [
        (1, 'top level: unknown key "colour"'),
        (3, "top level: source: must be an array of tables ([[source]]), not a table"),
    ]
