"""Atom and RSS output: well-formed, parseable, and following the W3C Feed Validation Service rules
that can be checked locally."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from aggregator.config.types import DEFAULT_FEEDS, FeedConfig, Settings
from aggregator.publish import build_atom, build_json_feed, build_rss, select_items
from tests.fixtures.publish.support import NOW, by_id, load_items

ATOM = "{http://www.w3.org/2005/Atom}"
SETTINGS = Settings(site_url="https://feeds.example-partnership.org.uk/")
ALL = DEFAULT_FEEDS[0]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$"
)
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def atom_root(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False))


@pytest.fixture
def items() -> list:
    return select_items(load_items(), ALL, NOW)


def test_atom_is_well_formed_and_feedparser_accepts_it(items: list) -> None:
    data = build_atom(ALL, items, SETTINGS)
    root = atom_root(data)
    assert root.tag == f"{ATOM}feed"
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == len(items) == 9


def test_rss_is_well_formed_and_feedparser_accepts_it(items: list) -> None:
    data = build_rss(ALL, items, SETTINGS)
    root = atom_root(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert len(parsed.entries) == 9


def test_atom_feed_level_rules(items: list) -> None:
    root = atom_root(build_atom(ALL, items, SETTINGS))
    self_links = root.findall(f"{ATOM}link[@rel='self']")
    assert [(link.get("href"), link.get("type")) for link in self_links] == [
        ("https://feeds.example-partnership.org.uk/all.atom", "application/atom+xml")
    ]
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        "https://feeds.example-partnership.org.uk/"
    )
    assert root.findtext(f"{ATOM}id") == "https://feeds.example-partnership.org.uk/all.atom"
    assert root.findtext(f"{ATOM}author/{ATOM}name")  # feed-level author: entries may lack one
    assert RFC3339.match(root.findtext(f"{ATOM}updated"))
    assert root.find(f"{ATOM}link[@rel='hub']") is None


def test_atom_entries_have_id_title_updated_and_link_or_content(items: list) -> None:
    root = atom_root(build_atom(ALL, items, SETTINGS))
    entries = root.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids) == 9
    assert ids == [item.public_id for item in items]  # public_id, in publication order
    for entry in entries:
        assert entry.findtext(f"{ATOM}title").strip()
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert RFC3339.match(entry.findtext(f"{ATOM}published"))
        links = entry.findall(f"{ATOM}link")
        alternate = [link for link in links if link.get("rel", "alternate") == "alternate"]
        assert alternate or entry.find(f"{ATOM}content") is not None


def test_item_without_link_carries_content_in_atom_and_no_link_in_rss(items: list) -> None:
    no_link = by_id(items, 109)
    atom = atom_root(build_atom(ALL, [no_link], SETTINGS))
    entry = atom.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link") is None
    assert entry.findtext(f"{ATOM}content") == no_link.title
    rss = atom_root(build_rss(ALL, [no_link], SETTINGS))
    item = rss.find("channel/item")
    assert item.find("link") is None
    assert item.findtext("title") == no_link.title


def test_feed_updated_is_newest_item_update_not_now(items: list) -> None:
    newest = max(item.updated for item in items)
    atom = atom_root(build_atom(ALL, items, SETTINGS))
    assert datetime.fromisoformat(atom.findtext(f"{ATOM}updated")) == newest
    rss = atom_root(build_rss(ALL, items, SETTINGS))
    assert parsedate_to_datetime(rss.findtext("channel/lastBuildDate")) == newest


def test_same_items_give_identical_bytes(items: list) -> None:
    assert build_atom(ALL, items, SETTINGS) == build_atom(ALL, list(items), SETTINGS)
    assert build_rss(ALL, items, SETTINGS) == build_rss(ALL, list(items), SETTINGS)


def test_empty_feed_is_valid_and_stable() -> None:
    for build in (build_atom, build_rss):
        data = build(ALL, [], SETTINGS)
        assert feedparser.parse(data).bozo == 0
        assert data == build(ALL, [], SETTINGS)


def test_rss_channel_and_item_rules(items: list) -> None:
    root = atom_root(build_rss(ALL, items, SETTINGS))
    channel = root.find("channel")
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://feeds.example-partnership.org.uk/all.rss"
    assert self_link.get("type") == "application/rss+xml"
    assert channel.findtext("link") == "https://feeds.example-partnership.org.uk/"
    assert channel.findtext("description")
    assert RFC822.match(channel.findtext("lastBuildDate"))
    guids = []
    for item in channel.findall("item"):
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        guids.append(guid.text)
        assert RFC822.match(item.findtext("pubDate"))
        assert item.find("author") is None  # RSS <author> must be an e-mail: dc:creator instead
    assert guids == [item.public_id for item in items]


def test_rss_description_is_escaped_html_of_the_plain_summary(items: list) -> None:
    tricky = by_id(items, 108)
    rss = atom_root(build_rss(ALL, [tricky], SETTINGS))
    description = rss.findtext("channel/item/description")
    assert "Tom &amp; Jerry" in description  # once escaped as HTML, then as XML
    assert "&lt;script&gt;" in description and "<script>" not in description
    parsed = feedparser.parse(build_rss(ALL, [tricky], SETTINGS))
    shown = parsed.entries[0].summary  # HTML: readers show the script tag as text
    assert parsed.entries[0].summary_detail.type == "text/html"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert html.unescape(shown).startswith("Tom & Jerry say ]]> is not the end; <script>")


def test_tricky_text_survives_as_text(items: list) -> None:
    tricky = by_id(items, 108)
    data = build_atom(ALL, [tricky], SETTINGS)
    assert not XML_ILLEGAL.search(data.decode("utf-8"))
    entry = atom_root(data).find(f"{ATOM}entry")
    title = entry.find(f"{ATOM}title")  # text that looks like markup goes out as escaped html
    assert title.get("type") == "html"
    assert (
        html.unescape(title.text) == "Fish &amp; Chips ]]> <b>quiz</b> night for the שלום team 😀"
    )
    content = entry.findtext(f"{ATOM}content")
    assert content.startswith("<p>Bring a friend &amp; a pen ]]&gt; <em>tonight</em>.</p>")
    assert "<![CDATA[ raw ]]>" in content  # escaped, so the document stays well-formed
    summary = entry.findtext(f"{ATOM}summary")
    assert "\u202eRTL override\u202c مرحبا and emoji 🎉" in summary


def test_lone_surrogates_and_controls_are_dropped() -> None:
    item = replace(load_items()[0], title="Broken \ud800 title\x1f", summary="a\x0cb")
    for build in (build_atom, build_rss):
        data = build(ALL, [item], SETTINGS)
        assert feedparser.parse(data).bozo == 0
        assert "Broken  title" in data.decode("utf-8")


def test_entry_author_and_categories(items: list) -> None:
    cspr = by_id(items, 101)
    atom = atom_root(build_atom(ALL, [cspr], SETTINGS)).find(f"{ATOM}entry")
    assert atom.findtext(f"{ATOM}author/{ATOM}name") == "Child Safeguarding Practice Review Panel"
    assert [c.get("term") for c in atom.findall(f"{ATOM}category")] == ["reviews", "cspr"]
    rss = atom_root(build_rss(ALL, [cspr], SETTINGS)).find("channel/item")
    assert rss.findtext("{http://purl.org/dc/elements/1.1/}creator") == cspr.author
    assert [c.text for c in rss.findall("category")] == ["reviews", "cspr"]
    assert rss.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") == cspr.content_html


def test_websub_hub_is_advertised_in_both_formats(items: list) -> None:
    settings = replace(SETTINGS, websub_hub="https://websub.example.net/hub")
    atom = atom_root(build_atom(ALL, items, settings))
    assert atom.find(f"{ATOM}link[@rel='hub']").get("href") == "https://websub.example.net/hub"
    rss = atom_root(build_rss(ALL, items, settings))
    hubs = rss.findall(f"channel/{ATOM}link[@rel='hub']")
    assert [h.get("href") for h in hubs] == ["https://websub.example.net/hub"]
    assert feedparser.parse(build_rss(ALL, items, settings)).bozo == 0


def test_feed_title_and_description_come_from_config(items: list) -> None:
    feed = FeedConfig("dhr", "Domestic Homicide Reviews", "DHRs & DARDRs", ("reviews",), ("dhr",))
    parsed = feedparser.parse(build_atom(feed, items[:1], SETTINGS))
    assert parsed.feed.title == "Domestic Homicide Reviews"
    assert parsed.feed.subtitle == "DHRs & DARDRs"
    assert parsed.feed.id == "https://feeds.example-partnership.org.uk/dhr.atom"


def test_entries_dated_only_by_day_get_distinct_updated_values(items: list) -> None:
    midnight = datetime(2025, 1, 20, tzinfo=UTC)
    same_day = [replace(item, published=midnight, updated=midnight) for item in items[:4]]
    root = atom_root(build_atom(ALL, same_day, SETTINGS))
    stamps = {
        entry.findtext(f"{ATOM}id"): datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        for entry in root.findall(f"{ATOM}entry")
    }
    assert len(set(stamps.values())) == 4  # the W3C validator warns on equal atom:updated
    assert all(midnight <= stamp <= midnight + timedelta(seconds=3) for stamp in stamps.values())
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == max(stamps.values())
    lowest_id = min(same_day, key=lambda item: item.id)
    assert (
        stamps[lowest_id.public_id] == midnight
    )  # ties broken by id: the oldest item keeps its date
    newcomer = replace(items[4], id=10_000, published=midnight, updated=midnight)
    again = atom_root(build_atom(ALL, [*same_day, newcomer], SETTINGS))
    for entry in again.findall(f"{ATOM}entry"):
        if entry.findtext(f"{ATOM}id") in stamps:  # existing entries keep their values
            assert (
                datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
                == stamps[entry.findtext(f"{ATOM}id")]
            )


def test_atom_updated_is_never_before_published(items: list) -> None:
    odd = replace(
        items[0],
        published=datetime(2025, 1, 5, tzinfo=UTC),
        updated=datetime(2025, 1, 1, tzinfo=UTC),
    )
    entry = atom_root(build_atom(ALL, [odd], SETTINGS)).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}updated") == entry.findtext(f"{ATOM}published")


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=40),
    summary=st.text(max_size=80),
    content=st.one_of(st.none(), st.text(max_size=80)),
    author=st.one_of(st.none(), st.text(max_size=20)),
    url=st.one_of(st.none(), st.just("https://example.org/a?b=1&c=]]>")),
)
def test_any_text_gives_well_formed_feeds(
    title: str, summary: str, content: str | None, author: str | None, url: str | None
) -> None:
    item = replace(
        load_items()[0], title=title, summary=summary, content_html=content, author=author, url=url
    )
    for build in (build_atom, build_rss):
        data = build(ALL, [item], SETTINGS)
        atom_root(data)  # well-formed XML, whatever the input
        assert feedparser.parse(data).bozo == 0
    assert json.loads(build_json_feed(ALL, [item], SETTINGS))["items"][0]["content_text"]


def test_bare_public_id_becomes_an_iri(items: list) -> None:
    bare = replace(items[0], public_id="legacy id/42")
    entry = atom_root(build_atom(ALL, [bare], SETTINGS)).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == (
        "https://feeds.example-partnership.org.uk/items/legacy%20id%2F42"
    )
