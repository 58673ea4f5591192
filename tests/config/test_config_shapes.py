"""The keys for listings that page, calendars and detail pages load into their dataclasses."""

from __future__ import annotations

from pathlib import Path

from aggregator.config import check_config, load_config
from aggregator.config.types import DetailSelectors, Selectors

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

[source.detail]
summary = ".entry-content p"
documents = "a[href$='.pdf']"
max_per_poll = 5

[[source]]
id = "msp-events"
name = "Manchester Safeguarding Partnership: training calendar"
type = "ical"
url = "https://www.manchestersafeguardingpartnership.co.uk/events/?ical=1"
horizon = "90d"

[[source]]
id = "plain-feed"
name = "A feed"
url = "https://www.example.org/feed/"
detail = { event_date = ".tribe-events-schedule time", venue = ".tribe-venue" }
"""


def test_the_new_keys_load(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES, encoding="utf-8")
    assert check_config(path) == []
    news, events, feed = load_config(path).sources
    assert news.max_pages == 3
    assert news.select == Selectors(
        item="article.post", link="h2.entry-title a", date="time.entry-date", next="a.next"
    )
    assert news.detail == DetailSelectors(
        summary=".entry-content p", documents="a[href$='.pdf']", max_per_poll=5
    )
    assert (events.type, events.horizon, events.max_pages) == ("ical", 90 * 86400.0, 1)
    assert events.detail is None
    assert feed.detail == DetailSelectors(
        event_date=".tribe-events-schedule time", venue=".tribe-venue", max_per_poll=10
    )


def test_defaults(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES.replace('horizon = "90d"\n', "").replace("max_pages = 3\n", ""))
    news, events, _ = load_config(path).sources
    assert news.max_pages == 1
    assert events.horizon == 180 * 86400.0
