"""Selectors take what an admin means: a link's href, a <time>'s datetime; the preview says what."""

from __future__ import annotations

from pathlib import Path

from aggregator.config.types import Selectors, SourceConfig
from aggregator.models import FetchResult
from aggregator.parsers.html import explain, next_page, parse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "html"
WORDPRESS = (FIXTURES / "wordpress_entry_title_links.html").read_bytes()
URL = "https://www.eastboroughsafeguarding.org.uk/news/"


def source(**select: str) -> SourceConfig:
    selectors = Selectors(**{"item": "article.post", **select})
    return SourceConfig("board", "Board", "html", URL, select=selectors)


def fetched(body: bytes, url: str = URL) -> FetchResult:
    return FetchResult("board", url, 200, body, content_type="text/html", charset="utf-8")


def test_a_link_selector_matching_an_anchor_takes_its_href_not_its_text() -> None:
    parsed = parse(fetched(WORDPRESS), source(link="h2.entry-title a"))
    assert [i.link for i in parsed.items] == [
        "https://www.eastboroughsafeguarding.org.uk/2026/11/23/sar-joan/",
        "https://www.eastboroughsafeguarding.org.uk/2026/11/17/annual-report-2025-26/",
        "https://www.eastboroughsafeguarding.org.uk/2026/10/30/7mb-cspr-child-l/",
    ]
    assert parsed.warnings == ()


def test_a_link_selector_on_a_heading_takes_the_link_inside_it() -> None:
    parsed = parse(fetched(WORDPRESS), source(link="h2.entry-title"))
    assert parsed.items[0].link == "https://www.eastboroughsafeguarding.org.uk/2026/11/23/sar-joan/"


def test_a_time_datetime_is_taken_when_it_parses_else_the_text() -> None:
    parsed = parse(fetched(WORDPRESS), source(date="time.entry-date"))
    stamps = [i.published.isoformat() if i.published else None for i in parsed.items]
    assert stamps[0] == "2026-11-23T09:15:00+00:00"  # the attribute: it has the time of day
    assert stamps[1] == "2026-11-17T00:00:00+00:00"  # empty datetime: the text


def test_an_explicit_attribute_is_read_as_written() -> None:
    parsed = parse(fetched(WORDPRESS), source(link="a.more-link@href"))
    assert parsed.items[0].link == "https://www.eastboroughsafeguarding.org.uk/2026/11/23/sar-joan/"


def test_a_link_that_is_prose_is_no_link_and_a_warning() -> None:
    page = (
        b"<article class='post'><h2>SAR Joan</h2><span class='l'>Read the review</span></article>"
        b"<article class='post'><h2>SAR Ken</h2><span class='l'>Read the review</span></article>"
    )
    parsed = parse(fetched(page), source(title="h2", link="span.l"))
    assert [i.link for i in parsed.items] == [None, None]
    assert len(parsed.warnings) == 2
    assert "'Read the review', which is not a URL path" in parsed.warnings[0]
    assert parsed.warnings[0].startswith("item 1: link selector 'span.l' took the text")


def test_every_item_with_the_same_link_is_a_warning() -> None:
    parsed = parse(fetched(WORDPRESS), source(title="h2", link="nav a.next"))
    assert parsed.warnings == ()  # the nav is outside the items: no link, no warning of sameness
    parsed = parse(fetched(WORDPRESS), source(title="h2", link="a@data-missing"))
    assert {i.link for i in parsed.items} == {None}
    page = b"".join(
        b"<article class='post'><h2>Item %d</h2><a href='/news/'>News</a></article>" % n
        for n in range(3)
    )
    parsed = parse(fetched(page), source(title="h2", link="a"))
    assert [w for w in parsed.warnings if w.startswith("every item has the same link")]


def test_explain_says_which_selector_took_what_from_which_element() -> None:
    explained = explain(fetched(WORDPRESS), source(link="h2.entry-title a", date="time"))
    first = {m.field: m for m in explained[0]}
    assert set(first) == {"title", "link", "date"}
    assert first["link"].selector == "h2.entry-title a"
    assert first["link"].found is not None
    assert (first["link"].found.element, first["link"].found.taken) == ("<a>", "href")
    assert first["date"].found is not None
    assert first["date"].found.taken == "datetime"
    assert first["date"].found.element == '<time class="entry-date published updated">'
    second_date = {m.field: m for m in explained[1]}["date"].found
    assert second_date is not None
    assert (second_date.taken, second_date.value) == ("text", "Tuesday 17th November 2026")
    assert len(explained) == 3


def test_next_page_is_the_absolute_href_of_the_next_link() -> None:
    assert next_page(fetched(WORDPRESS), "a.next") == URL + "page/2/"
    assert next_page(fetched(WORDPRESS), "a.next@href") == URL + "page/2/"
    assert next_page(fetched(WORDPRESS), "a.previous") is None
