"""HTML listing pages: every fixture in tests/fixtures/html parses to its sidecar .expected.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from aggregator.config.types import Selectors, SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem
from aggregator.parsers import parser_for
from aggregator.parsers.html import decode_html, discover_feeds, parse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "html"
PAGES = sorted(p.stem for p in FIXTURES.glob("*.html"))


def make_source(select: Selectors, category: Any = "reviews") -> SourceConfig:
    return SourceConfig(
        id="board", name="Board", type="html", url="https://board.example/", category=category,
        select=select,
    )  # fmt: skip


def fetched(body: bytes, url: str = "https://board.example/list", charset: str | None = None):
    return FetchResult("board", url, 200, body, content_type="text/html", charset=charset)


def as_expected(item: ParsedItem) -> dict[str, Any]:
    summary = None
    if item.summary_html is not None:
        summary = " ".join(lxml.html.fragment_fromstring(item.summary_html).text_content().split())
    return {
        "title": item.title,
        "link": item.link,
        "guid": item.guid,
        "published": item.published.isoformat() if item.published else None,
        "event_date": item.event_date.isoformat() if item.event_date else None,
        "summary_text": summary,
    }


@pytest.mark.parametrize("name", PAGES)
def test_fixture_parses_to_its_expected_json(name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    source = make_source(Selectors(**expected["source"]["select"]), expected["source"]["category"])
    result = fetched((FIXTURES / f"{name}.html").read_bytes(), **expected["fetch"])

    parsed = parser_for("html")(result, source)

    assert [as_expected(item) for item in parsed.items] == expected["items"]
    assert parsed.title == expected["title"]
    assert len(parsed.warnings) == expected["warnings"]
    assert all(item.base_url for item in parsed.items)
    for item in parsed.items:
        assert item.published is None or item.published.tzinfo == UTC


def test_fixture_set_covers_the_promised_shapes() -> None:
    assert len(PAGES) >= 5
    for name in PAGES:
        assert (FIXTURES / f"{name}.expected.json").exists(), name


def test_zero_items_is_an_error_naming_the_selector() -> None:
    page = b"<html><body><div class='redesigned'><a href='/x'>SAR Adult X</a></div></body></html>"
    with pytest.raises(ParseError, match=r"selector 'article.sar' matched no items"):
        parse(fetched(page), make_source(Selectors(item="article.sar")))


def test_items_without_titles_only_is_also_an_error() -> None:
    page = b"<ul><li><a href='/a'> </a></li><li>no link here</li></ul>"
    with pytest.raises(ParseError, match="matched no items"):
        parse(fetched(page), make_source(Selectors(item="li")))


def test_untitled_item_is_skipped_with_a_warning() -> None:
    page = b"<ul><li><a href='/a'>SAR Adult A</a></li><li><a href='/b'></a></li></ul>"
    parsed = parse(fetched(page), make_source(Selectors(item="li")))
    assert [i.title for i in parsed.items] == ["SAR Adult A"]
    assert parsed.warnings == ("item 2 has no title text, skipped",)


def test_invalid_selector_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="invalid CSS selector"):
        parse(fetched(b"<p>x</p>"), make_source(Selectors(item="li[")))


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_page_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="empty page"):
        parse(fetched(body), make_source(Selectors(item="li")))


def test_source_without_selectors_is_a_parse_error() -> None:
    source = SourceConfig(id="b", name="B", type="html", url="https://board.example/")
    with pytest.raises(ParseError, match=r"no \[source\.select\]"):
        parse(fetched(b"<p>x</p>"), source)


def test_nested_matches_yield_one_item() -> None:
    page = b"""<article><div class="blog-item"><h2><a href="/n/1">Board news</a></h2></div>
    </article><div class="blog-item"><h2><a href="/n/2">Annual report</a></h2></div>"""
    parsed = parse(fetched(page), make_source(Selectors(item="article, .blog-item")))
    assert [i.link for i in parsed.items] == [
        "https://board.example/n/1",
        "https://board.example/n/2",
    ]


def test_bare_attribute_selector_reads_the_item_itself() -> None:
    page = b"""<div class="card" data-published="2024-03-03" data-href="/sar/k">
    <span class="t">SAR Adult K</span></div>"""
    select = Selectors(item=".card", title=".t", link="@data-href", date="@data-published")
    item = parse(fetched(page), make_source(select)).items[0]
    assert item.link == "https://board.example/sar/k"
    assert item.published == datetime(2024, 3, 3, tzinfo=UTC)


def test_item_without_link_has_no_guid() -> None:
    page = b"<ul><li><span>SAR Adult Z</span> 2 Sep 2025</li></ul>"
    item = parse(fetched(page), make_source(Selectors(item="li", title="span"))).items[0]
    assert (item.link, item.guid) == (None, None)
    assert item.published == datetime(2025, 9, 1, 23, tzinfo=UTC)


def test_attribute_summary_is_escaped_text() -> None:
    page = b'<ul><li><a href="/a" title="Mrs A &amp; <Miss G>">SAR</a></li></ul>'
    item = parse(fetched(page), make_source(Selectors(item="li", summary="a@title"))).items[0]
    assert item.summary_html == "Mrs A &amp; &lt;Miss G&gt;"


def test_yearless_date_uses_the_most_recent_past_year(monkeypatch: pytest.MonkeyPatch) -> None:
    import aggregator.parsers.html as html_parser

    monkeypatch.setattr(html_parser, "utcnow", lambda: datetime(2026, 1, 10, 12, tzinfo=UTC))
    page = b"<ul><li><a href='/a'>Board minutes</a> <span>25 Nov</span></li></ul>"
    item = parse(fetched(page), make_source(Selectors(item="li", date="span"))).items[0]
    assert item.published == datetime(2025, 11, 25, tzinfo=UTC)


# --- charset ---------------------------------------------------------------------------------

TITLE = "Safeguarding Adults Review – Mrs A & Miss G’s family"


def page_in(encoding: str, meta: str | None = None) -> bytes:
    head = f'<meta charset="{meta}">' if meta else ""
    return f"<html><head>{head}</head><body><p>{TITLE}</p></body></html>".encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "header", "meta"),
    [
        ("utf-8", "utf-8", None),
        ("utf-8", None, None),
        ("utf-8", "iso-8859-1", "utf-8"),  # header and meta disagree; the bytes are UTF-8
        ("utf-8", "windows-1252", None),
        ("cp1252", "utf-8", None),  # windows-1252 served as UTF-8
        ("cp1252", "utf-8", "utf-8"),
        ("cp1252", None, "windows-1252"),
        ("cp1252", None, None),
        ("cp1252", "iso-8859-1", None),  # latin-1 label means windows-1252 (WHATWG)
        ("utf-16", "utf-16", None),
        ("utf-16", None, None),  # a byte-order mark says it all
        ("utf-16", "utf-8", None),
    ],
)
def test_decoding_avoids_mojibake(encoding: str, header: str | None, meta: str | None) -> None:
    assert TITLE in decode_html(page_in(encoding, meta), header)


def test_byte_order_mark_wins_over_a_wrong_header() -> None:
    assert TITLE in decode_html(b"\xef\xbb\xbf" + page_in("utf-8"), "windows-1252")


def test_unknown_charset_label_falls_back() -> None:
    assert TITLE in decode_html(page_in("utf-8", meta="x-no-such-charset"), "bogus")


def test_meta_http_equiv_charset_is_read() -> None:
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        f"</head><body>{TITLE}</body></html>"
    ).encode("cp1252")
    assert TITLE in decode_html(body, None)


# --- feed discovery ----------------------------------------------------------------------------


def test_discover_feeds_in_a_wordpress_head() -> None:
    html = (FIXTURES / "wordpress_sar_cards.html").read_bytes()
    feeds = discover_feeds(html, "https://www.northshiresab.org.uk/safeguarding-adults-reviews/")
    assert feeds == [
        ("https://www.northshiresab.org.uk/feed/", "Northshire Safeguarding Adults Board » Feed"),
        (
            "https://www.northshiresab.org.uk/comments/feed/",
            "Northshire Safeguarding Adults Board » Comments Feed",
        ),
    ]  # not the wp-json REST link (application/json) nor the oEmbed one


def test_discover_feeds_resolves_relative_hrefs() -> None:
    html = (FIXTURES / "drupal_views_learning.html").read_bytes()
    feeds = discover_feeds(html, "https://www.eastvalesafeguarding.org.uk/learning-from-reviews")
    assert feeds == [
        (
            "https://www.eastvalesafeguarding.org.uk/learning-from-reviews/feed",
            "Learning from reviews",
        )
    ]


def test_discover_feeds_on_a_page_without_any() -> None:
    assert discover_feeds(b"<html><head><title>x</title></head></html>", "https://a.example/") == []
    assert discover_feeds(b"", "https://a.example/") == []


def test_line_breaks_and_cells_do_not_glue_words() -> None:
    page = b"""<table><tr class="row"><td>02 Sept 2025</td><td><a href="/a">SAR Mrs A</a></td></tr>
    <tr class="row"><td><a href="/b">SAR Mr B<br>Monday 14th July 2025</a></td></tr></table>"""
    parsed = parse(fetched(page), make_source(Selectors(item="tr.row")))
    assert [i.title for i in parsed.items] == ["SAR Mrs A", "SAR Mr B Monday 14th July 2025"]
    assert [i.published for i in parsed.items] == [
        datetime(2025, 9, 1, 23, tzinfo=UTC),
        datetime(2025, 7, 13, 23, tzinfo=UTC),
    ]


def test_default_title_skips_image_links() -> None:
    page = b"""<div class="card"><a href="/sar/k"><img src="k.jpg" alt=""></a>
    <h3><a href="/sar/k">SAR Adult K</a></h3></div>"""
    item = parse(fetched(page), make_source(Selectors(item=".card"))).items[0]
    assert (item.title, item.link) == ("SAR Adult K", "https://board.example/sar/k")


def test_item_that_is_a_link_is_its_own_title_and_link() -> None:
    page = b'<p><a class="doc" href="/d/1.pdf">DHR Mr C executive summary</a></p>'
    item = parse(fetched(page), make_source(Selectors(item="a.doc"))).items[0]
    assert (item.title, item.link) == (
        "DHR Mr C executive summary",
        "https://board.example/d/1.pdf",
    )


@pytest.mark.parametrize("href", ["#", "#top", "javascript:void(0)", "JavaScript:openDoc(4)", ""])
def test_placeholder_links_are_no_links(href: str) -> None:
    page = f'<ul><li><a href="{href}">SAR Adult Z</a></li></ul>'.encode()
    item = parse(fetched(page), make_source(Selectors(item="li"))).items[0]
    assert (item.link, item.guid) == (None, None)


def test_xhtml_page_with_xml_declaration() -> None:
    page = (
        '<?xml version="1.0" encoding="windows-1252"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><ul>'
        '<li><a href="r.pdf">SAR – Mr D’s review</a></li></ul></body></html>'
    ).encode("cp1252")
    item = parse(fetched(page), make_source(Selectors(item="li"))).items[0]
    assert item.title == "SAR – Mr D’s review"


def test_summary_selector_matching_nothing_gives_no_summary() -> None:
    page = b"<ul><li><a href='/a'>SAR Adult A</a></li></ul>"
    item = parse(fetched(page), make_source(Selectors(item="li", summary=".excerpt"))).items[0]
    assert item.summary_html is None
