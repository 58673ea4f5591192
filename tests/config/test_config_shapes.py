"""The keys for listings that page load into their dataclasses."""

from __future__ import annotations

from pathlib import Path

from aggregator.config import check_config, load_config
from aggregator.config.types import Selectors

SOURCES = """\
[[source]]
id = "msp-news"
name = "Manchester Safeguarding Partnership: news"
type = "html"
url = "https://www.manchestersafeguardingpartnership.co.uk/news/"
max_pages = 3

[source.select]
item = "article.post"
link = "h2.entry-title a"
date = "time.entry-date"
next = "a.next"
"""


def test_the_new_keys_load(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES, encoding="utf-8")
    assert check_config(path) == []
    (news,) = load_config(path).sources
    assert news.max_pages == 3
    assert news.select == Selectors(
        item="article.post", link="h2.entry-title a", date="time.entry-date", next="a.next"
    )


def test_defaults(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES.replace("max_pages = 3\n", ""))
    (news,) = load_config(path).sources
    assert news.max_pages == 1
