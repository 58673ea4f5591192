"""The latest-news block: columns, dates, truncation, escaping and template override."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from lxml import html as lxml_html

from aggregator.config.types import DEFAULT_FEEDS, Settings
from aggregator.publish import render_block, truncate_summary
from aggregator.publish.block import block_columns, block_json, display_date
from aggregator.publish.select import publication_order
from tests.fixtures.publish.support import HERE, by_id, load_items

SETTINGS = Settings(site_url="https://feeds.example-partnership.org.uk", block_items=3)
ITEMS = sorted(load_items(), key=publication_order)


def fragment(settings: Settings = SETTINGS, items: list | None = None) -> str:
    columns = block_columns(ITEMS if items is None else items, settings, DEFAULT_FEEDS)
    return render_block(columns, settings)


def parsed(markup: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(markup, create_parent="div")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short summary.", "Short summary."),
        ("x" * 80, "x" * 80),
        (
            "The Board publishes the Safeguarding Adult Review concerning Mrs A and Miss G, "
            "sisters",
            "The Board publishes the Safeguarding Adult Review concerning Mrs A and Miss G ...",
        ),
        (
            "Our partnership has launched its new neglect strategy for 2025 to 2028, setting "
            "out how",
            "Our partnership has launched its new neglect strategy for 2025 to 2028, setting ...",
        ),
        ("  spaced\n\tout   words  ", "spaced out words"),
        ("y" * 120, "y" * 80 + " ..."),  # no boundary at all: a hard cut
    ],
)
def test_truncate_summary_on_word_boundary(text: str, expected: str) -> None:
    assert truncate_summary(text) == expected


def test_truncated_summary_never_splits_a_word() -> None:
    text = by_id(ITEMS, 101).summary
    cut = truncate_summary(text)
    assert cut.endswith(" ...") and len(cut) <= 84
    assert text.startswith(cut.removesuffix(" ..."))
    assert text[len(cut) - 4] in " ,"  # the next character was a boundary


def test_two_columns_with_headings_and_block_items_each() -> None:
    root = parsed(fragment())
    sections = root.findall(".//section")
    assert [s.findtext("h2") for s in sections] == ["Latest News", "Training & Events"]
    news_titles = [a.text_content() for a in sections[0].findall(".//article//h3")]
    assert news_titles == [by_id(ITEMS, i).title for i in (105, 101, 104)]  # pinned first, 3 items
    training = [a.text_content() for a in sections[1].findall(".//article//h3")]
    assert training == [by_id(ITEMS, 106).title, by_id(ITEMS, 107).title]


def test_entry_markup_date_badge_link_summary() -> None:
    root = parsed(fragment())
    article = root.findall(".//section")[0].findall(".//article")[1]  # Child Q
    time = article.find(".//time")
    assert time.get("datetime") == "2025-01-24"
    assert [s.text for s in time.findall("span")] == ["Jan", "24"]
    link = article.find(".//h3/a")
    assert link.get("href") == by_id(ITEMS, 101).url
    assert link.text == "Child Safeguarding Practice Review: Child Q"
    summary = article.find(".//p").text
    assert summary.endswith(" ...") and summary == truncate_summary(by_id(ITEMS, 101).summary)


def test_training_shows_event_date_else_published() -> None:
    root = parsed(fragment())
    times = root.findall(".//section")[1].findall(".//time")
    assert [t.get("datetime") for t in times] == ["2025-03-04", "2025-01-02"]
    assert [t.findtext("span[1]") for t in times] == ["Mar", "Jan"]


def test_dates_are_uk_local_dates() -> None:
    late_summer_evening = datetime(2024, 7, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 August
    item = replace(by_id(ITEMS, 104), published=late_summer_evening)
    assert display_date(item) == date(2024, 8, 1)


def test_links_to_the_feeds_each_column_comes_from() -> None:
    root = parsed(fragment())
    news, training = root.findall(".//section")
    feeds = [
        (a.get("rel"), a.get("type"), a.get("href")) for a in news.findall(".//a[@rel='alternate']")
    ]
    assert feeds == [
        (
            "alternate",
            "application/atom+xml",
            "https://feeds.example-partnership.org.uk/reviews.atom",
        ),
        ("alternate", "application/atom+xml", "https://feeds.example-partnership.org.uk/news.atom"),
    ]
    hrefs = [a.get("href") for a in training.findall(".//a[@rel='alternate']")]
    assert hrefs == ["https://feeds.example-partnership.org.uk/training.atom"]


def test_fragment_has_no_document_wrapper_scripts_or_handlers() -> None:
    markup = fragment(items=[by_id(ITEMS, 108)])
    for forbidden in ("<html", "<body", "<head", "<script", "onerror=", "onclick="):
        assert forbidden not in markup.lower()


def test_markup_in_titles_and_summaries_is_escaped() -> None:
    hostile = replace(
        by_id(ITEMS, 104),
        title='<script>alert(1)</script> "quoted"',
        summary="<img src=x onerror=alert(2)> hi",
        url='https://example.org/"><script>alert(3)</script>',
    )
    markup = fragment(items=[hostile])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&lt;img src=x onerror=alert(2)&gt; hi" in markup
    assert 'href="https://example.org/&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"' in markup
    link = parsed(markup).find(".//article//a")
    assert link.text == '<script>alert(1)</script> "quoted"'


def test_item_without_url_has_title_but_no_link() -> None:
    markup = fragment(items=[by_id(ITEMS, 109)])
    title = parsed(markup).find(".//article//h3")
    assert title.text_content() == by_id(ITEMS, 109).title
    assert title.find("a") is None


def test_empty_column_says_so() -> None:
    root = parsed(fragment(items=[by_id(ITEMS, 104)]))
    assert root.findall(".//section")[1].findtext("p[@class='sg-latest__empty']")


def test_template_override() -> None:
    settings = replace(SETTINGS, block_template=str(HERE / "override.html"))
    root = parsed(fragment(settings))
    rows = root.findall(".//ul[@class='partner-news']/li")
    assert [r.get("data-column") for r in rows] == ["news"] * 3 + ["training"] * 2
    assert rows[1].text_content() == "24 Jan Child Safeguarding Practice Review: Child Q"


def test_override_is_autoescaped() -> None:
    settings = replace(SETTINGS, block_template=str(HERE / "override.html"))
    hostile = replace(by_id(ITEMS, 104), title="<b onmouseover=alert(1)>x</b>")
    assert "&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;" in fragment(settings, [hostile])


def test_override_runs_sandboxed_and_falls_back_to_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = replace(SETTINGS, block_template=str(HERE / "sandbox_escape.html"))
    markup = fragment(settings)
    assert "subclasses" not in markup and "<class" not in markup
    assert "<h2" in markup  # the packaged template was used instead
    assert "unusable" in caplog.text


def test_missing_override_falls_back_to_default(caplog: pytest.LogCaptureFixture) -> None:
    settings = replace(SETTINGS, block_template=str(HERE / "no-such-template.html"))
    assert "Latest News" in fragment(settings)
    assert "no-such-template.html" in caplog.text


def test_latest_json_carries_the_same_data() -> None:
    columns = block_columns(ITEMS, SETTINGS, DEFAULT_FEEDS)
    data = json.loads(block_json(columns, SETTINGS))
    news, training = data["columns"]
    assert (news["heading"], training["heading"]) == ("Latest News", "Training & Events")
    assert [e["title"] for e in news["entries"]] == [by_id(ITEMS, i).title for i in (105, 101, 104)]
    first = training["entries"][0]
    assert (first["date"], first["month"], first["day"]) == ("2025-03-04", "Mar", "4")
    assert news["feeds"][1] == {
        "title": "Safeguarding news",
        "href": "https://feeds.example-partnership.org.uk/news.atom",
    }


def test_columns_are_in_publication_order_whatever_the_input_order() -> None:
    columns = block_columns(list(reversed(ITEMS)), SETTINGS, DEFAULT_FEEDS)
    assert [e.title for e in columns[0].entries] == [by_id(ITEMS, i).title for i in (105, 101, 104)]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "/relative",
    ],
)
def test_only_web_links_are_linked(url: str) -> None:
    markup = fragment(items=[replace(by_id(ITEMS, 104), url=url)])
    assert parsed(markup).find(".//article//h3/a") is None
    assert "alert" not in markup and "data:" not in markup
