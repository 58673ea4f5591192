"""`themes = [...]` on [[rule]], [[source.rule]] and [[feed]]: read, and checked against the
vocabulary (unknown themes are FILE:LINE errors: tests/fixtures/config/errors/bad_themes.toml)."""

from __future__ import annotations

from pathlib import Path

from aggregator.config import KeywordRule, check_config, load_config

SOURCES = """\
[[rule]]
pattern = "(?i)cuckoo"
themes = ["cuckooing"]

[[rule]]
pattern = "(?i)scam"
category = "news"
themes = ["financial-abuse", "online-safety"]

[[source]]
id = "northshire-sab"
name = "North Shire Safeguarding Adults Board"
url = "https://www.northshiresab.org.uk/feed/"

[[source.rule]]
pattern = "(?i)clutter"
themes = ["hoarding"]

[[feed]]
id = "exploitation"
title = "Exploitation and county lines"
themes = ["exploitation", "modern-slavery"]

[[feed]]
id = "all"
title = "Everything"
"""


def test_rules_and_feeds_carry_their_themes(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES, encoding="utf-8")
    assert check_config(path) == []
    config = load_config(path)
    assert config.settings.rules == (
        KeywordRule("(?i)cuckoo", themes=("cuckooing",)),
        KeywordRule("(?i)scam", "news", None, ("financial-abuse", "online-safety")),
    )
    assert config.sources[0].rules == (KeywordRule("(?i)clutter", themes=("hoarding",)),)
    assert [feed.themes for feed in config.feeds] == [("exploitation", "modern-slavery"), ()]


def test_a_rule_with_nothing_to_set_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[rule]]\npattern = "x"\n', encoding="utf-8")
    (error,) = check_config(path)
    assert (error.line, "needs a category, a review_type or themes" in error.message) == (1, True)
