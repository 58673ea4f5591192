"""normalise: identity keys, absolute URLs, safe HTML, clean summaries, UTC dates, no future."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from aggregator.config.types import SourceConfig
from aggregator.models import Classification, FetchResult, Item, ParsedItem
from aggregator.normalise.item import (
    cut_on_word,
    normalise,
    plain_title,
    remove_wordpress_tails,
    source_keys,
)
from aggregator.normalise.sanitize import html_to_text, sanitize_html, strip_control_chars
from aggregator.parsers.feed import parse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
NOW = datetime(2025, 7, 20, 12, 0, tzinfo=UTC)
FIRST_SEEN = datetime(2025, 7, 20, 11, 0, tzinfo=UTC)
SOURCE = SourceConfig(id="board", name="Board", type="feed", url="https://board.example.org/feed/")
Seen = list[tuple[str, str, str | None, tuple[str, ...]]]


def recording_classifier(seen: Seen):  # type: ignore[no-untyped-def]
    def classify(
        title: str, summary: str, url: str | None, cats: tuple[str, ...]
    ) -> Classification:
        seen.append((title, summary, url, cats))
        return Classification("reviews", "sar")

    return classify


def run(
    parsed: ParsedItem, key: str = "k", source: SourceConfig = SOURCE, seen: Seen | None = None
) -> Item:
    classify = recording_classifier(seen if seen is not None else [])
    return normalise(parsed, source, key, first_seen=FIRST_SEEN, now=NOW, classify=classify)


def fixture_items(name: str, url: str) -> tuple[ParsedItem, ...]:
    body = (FIXTURES / name).read_bytes()
    return parse(FetchResult("board", url, 200, body, "application/xml", "utf-8"), SOURCE).items


# --- URLs and HTML ---


def test_relative_links_are_made_absolute() -> None:
    item = run(
        ParsedItem(
            title="SAR Mr B",
            link="2025/04/sar-mr-b",
            content_html='<p><a href="../files/b.pdf">PDF</a> <img src="/img/cover.png"></p>',
            base_url="https://sab.example.org/news/",
        )
    )
    assert item.url == "https://sab.example.org/news/2025/04/sar-mr-b"
    assert item.content_html is not None
    assert 'href="https://sab.example.org/files/b.pdf"' in item.content_html
    assert 'src="https://sab.example.org/img/cover.png"' in item.content_html
    assert 'rel="noopener noreferrer"' in item.content_html


def test_canonical_url_is_set() -> None:
    item = run(ParsedItem(title="t", link="http://www.board.example.org/news/a/?utm_source=rss"))
    assert item.url == "http://www.board.example.org/news/a/?utm_source=rss"
    assert item.canonical_url is not None and "utm_source" not in item.canonical_url


def test_dangerous_html_is_removed() -> None:
    dirty = (
        '<p onclick="steal()">Read <a href="javascript:alert(1)">this</a>'
        '<img src="x.png" onerror="alert(2)"></p><script>alert(3)</script>'
        '<iframe src="https://evil.example.com/"></iframe><style>p{display:none}</style>'
        '<p style="color:red">kept text</p><a href=" JAVASCRIPT:alert(4)">x</a>'
    )
    html = sanitize_html(dirty, "https://board.example.org/")
    lowered = html.lower()
    for bad in ("script", "onerror", "onclick", "javascript", "iframe", "style", "alert"):
        assert bad not in lowered, bad
    assert "kept text" in html and 'src="https://board.example.org/x.png"' in html


def test_control_characters_are_removed() -> None:
    assert strip_control_chars("a\x00b\x0bc\x1fd\x85e\ufffff\tg\nh") == "abcdef\tg\nh"
    item = run(ParsedItem(title="Annual\x08 report", content_html="<p>text\x0c here</p>"))
    assert item.title == "Annual report"
    assert item.content_html == "<p>text here</p>"


def test_title_is_plain_text() -> None:
    assert plain_title("SAR &#8211; &#8220;Adult K&#8221;") == "SAR – “Adult K”"
    # Parsers hand on plain text: what looks like a tag is words, and is kept.
    assert plain_title("SAR: neglect <and>\n  abuse") == "SAR: neglect <and> abuse"
    assert plain_title("Fish & chips < 5") == "Fish & chips < 5"
    assert html_to_text("<p>One</p><p>Two<br>Three</p>") == "One Two Three"


def test_missing_title_falls_back_to_the_summary() -> None:
    item = run(ParsedItem(title="", summary_html="<p>Seven minute briefing on self-neglect</p>"))
    assert item.title == "Seven minute briefing on self-neglect"


# --- summaries ---


def test_wordpress_footer_and_ellipsis_are_removed() -> None:
    (first, _, third) = fixture_items(
        "wordpress_rss2.xml", "https://www.northshiresab.org.uk/feed/"
    )
    item = run(first)
    assert "appeared first on" not in item.summary
    assert "[…]" not in item.summary and "&#8230;" not in item.summary
    assert item.summary.endswith("makes nine recommendations for partners")
    annual = run(third)
    assert annual.summary == (
        "Our annual report sets out what the Board and its partners achieved during 2024–25."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lorem ipsum [&#8230;]", "Lorem ipsum"),
        ("Lorem ipsum […] The post Lorem appeared first on Board.", "Lorem ipsum"),
        ("Lorem ipsum. Continue reading Lorem →", "Lorem ipsum."),
        ("Lorem ipsum… Read More...", "Lorem ipsum"),
        (
            "Read more about the Board's work in our report.",
            "Read more about the Board's work in our report.",
        ),
    ],
)
def test_wordpress_tails(text: str, expected: str) -> None:
    assert remove_wordpress_tails(text) == expected


def test_long_summary_is_cut_on_a_word_boundary() -> None:
    words = " ".join(f"word{n}" for n in range(300))
    item = run(ParsedItem(title="t", summary_html=f"<p>{words}</p>"))
    assert len(item.summary) <= 500 and item.summary.endswith("…")
    assert item.summary[:-1].split(" ")[-1] in words.split(" ")
    assert cut_on_word("short", 500) == "short"


def test_summary_falls_back_to_content() -> None:
    item = run(ParsedItem(title="t", content_html="<p>Only <em>content</em> here</p>"))
    assert item.summary == "Only content here"


# --- dates ---


def test_offset_dates_become_utc() -> None:
    bst = timezone(timedelta(hours=1))
    item = run(ParsedItem(title="t", published=datetime(2025, 7, 17, 9, 30, tzinfo=bst)))
    assert item.published == datetime(2025, 7, 17, 8, 30, tzinfo=UTC)
    assert item.published.tzinfo == UTC and item.updated == item.published


def test_future_dates_are_clamped_to_now() -> None:
    item = run(
        ParsedItem(title="t", published=NOW + timedelta(days=30), updated=NOW + timedelta(days=31))
    )
    assert item.published == NOW and item.updated == NOW


def test_missing_date_is_first_seen() -> None:
    item = run(ParsedItem(title="t"))
    assert item.published == FIRST_SEEN and item.updated == FIRST_SEEN


def test_updated_only_is_used_as_published() -> None:
    when = datetime(2025, 5, 22, 13, 15, 42, tzinfo=UTC)
    item = run(ParsedItem(title="t", updated=when))
    assert item.published == when and item.updated == when


# --- classification and hashing ---


def test_classifier_gets_the_clean_fields() -> None:
    seen: Seen = []
    item = run(
        ParsedItem(
            title="SAR &#8211; Adult K",
            link="/k",
            summary_html="<p>Summary</p>",
            categories=("Safeguarding Adults Reviews",),
            base_url="https://board.example.org/",
        ),
        seen=seen,
    )
    assert seen == [
        (
            "SAR – Adult K",
            "Summary",
            "https://board.example.org/k",
            ("Safeguarding Adults Reviews",),
        )
    ]
    assert (item.category, item.review_type) == ("reviews", "sar")


def test_content_hash_changes_only_with_what_subscribers_see() -> None:
    base = ParsedItem(
        title="t", link="https://b.example.org/a", summary_html="s", published=FIRST_SEEN
    )
    same = run(base).content_hash
    assert run(replace(base, author="someone else")).content_hash == same
    assert run(replace(base, summary_html="s2")).content_hash != same
    assert run(replace(base, title="t2")).content_hash != same


# --- identity ---


def test_guid_is_the_key() -> None:
    items = fixture_items("wordpress_rss2.xml", "https://www.northshiresab.org.uk/feed/")
    assert source_keys(items, SOURCE)[0] == "https://www.northshiresab.org.uk/?p=4821"


def test_repeated_guids_for_different_stories_get_different_keys() -> None:
    items = fixture_items("repeated_guids.xml", "https://lowfieldsab.org.uk/events/feed")
    keys = source_keys(items, SOURCE)
    assert len(set(keys)) == len(items) == 4
    assert all(k.startswith("lowfield-events#") for k in keys[:3])
    assert keys[3] == "https://lowfieldsab.org.uk/minutes/march-2025"
    assert source_keys(items, SOURCE) == keys  # stable between polls
    assert source_keys(items[:2], SOURCE) == keys[:2]


def test_an_exact_duplicate_entry_keeps_its_guid() -> None:
    item = ParsedItem(title="Same", link="https://b.example.org/same", guid="g-1")
    assert source_keys([item, item], SOURCE) == ["g-1", "g-1"]


def test_missing_guid_and_link_fall_back_to_title_and_date() -> None:
    a = ParsedItem(title="Board meeting", published=FIRST_SEEN)
    b = ParsedItem(title="Board  MEETING", published=FIRST_SEEN)
    c = ParsedItem(title="Board meeting", published=NOW)
    keys = source_keys([a], SOURCE) + source_keys([b], SOURCE) + source_keys([c], SOURCE)
    assert keys[0] == keys[1] != keys[2] and keys[0].startswith("sha1:")


def test_govuk_organisation_feed_keeps_the_key_when_a_page_is_updated() -> None:
    url = (
        "https://www.gov.uk/government/organisations/child-safeguarding-practice-review-panel.atom"
    )
    items = fixture_items("govuk_organisation.atom", url)
    keys = source_keys(items, SOURCE)
    assert keys[1] == "/guidance/child-safeguarding-practice-review-panel-practice-guidance"
    republished = replace(
        items[1],
        guid=items[1].guid.split("#")[0] + "#2025-07-30T10:00:00Z",  # type: ignore[union-attr]
        updated=datetime(2025, 7, 30, 10, tzinfo=UTC),
    )
    assert source_keys([republished], SOURCE) == [keys[1]]
    link_source = replace(SOURCE, identity="link")
    assert source_keys([republished], link_source) == [keys[1]]


def test_link_identity_ignores_scheme_and_host() -> None:
    link_source = replace(SOURCE, identity="link")
    a = ParsedItem(title="a", link="http://board.example.org/news/a?id=3", guid="x1")
    b = ParsedItem(title="b", link="https://www.board.example.org/news/a?id=3", guid="x2")
    assert source_keys([a], link_source) == source_keys([b], link_source) == ["/news/a?id=3"]


def test_content_identity_ignores_guid_and_link() -> None:
    content_source = replace(SOURCE, identity="content")
    a = ParsedItem(title="Event", link="https://b.example.org/1", guid="1", published=FIRST_SEEN)
    b = replace(a, link="https://b.example.org/2", guid="2")
    assert source_keys([a], content_source) == source_keys([b], content_source)
