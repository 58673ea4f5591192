"""Our published feeds checked by tools we did not write.

Tricky source feeds (ampersands, `]]>`, control characters, RTL text, emoji, scripts, items
without dates or links, relative and non-ASCII links) go through the real pipeline (the CLI
polling a real HTTP server), and the outputs are checked against: the RFC 4287 RELAX NG schema
plus the W3C Feed Validation Service's rules (tests/feed_rules.py), the RSS 2.0 rules, a JSON
Schema written from the JSON Feed 1.1 spec, feedparser, and the `reader` library subscribing
over HTTP to our real web server.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from lxml import etree
from reader import make_reader

from aggregator.config.types import DEFAULT_FEEDS, Settings
from aggregator.models import StoredItem
from aggregator.publish import build_atom
from aggregator.web import create_app
from aggregator.web.server import make_server
from tests.e2e_support import ATOM, RSS, SETTINGS, cli, feed_source, json_feed
from tests.feed_rules import (
    ATOM_NS,
    A,
    atom_problems,
    html_problems,
    opml_problems,
    parse,
    rss_problems,
)
from tests.feedserver import FeedServer

FIXTURES = Path(__file__).parent / "fixtures" / "validation"
SITE = "https://feeds.example.org"
FEEDS = ("all", "reviews", "news", "training")
RELATIVE = "Relative link item"
RENAMED = "Relative link item, revised"


class TrickySources:
    """The two source feeds on a real HTTP server, and the workdir the CLI polls them into."""

    def __init__(self, server: FeedServer, workdir: Path) -> None:
        self.server, self.workdir = server, workdir
        text = SETTINGS + feed_source("tricky-board", server.url("/board.xml"), "reviews")
        text += feed_source("tricky-training", server.url("/training.atom"), "training")
        (workdir / "sources.toml").write_text(text)
        self.serve()

    def serve(self, *, rename: bool = False) -> None:
        board = self._fixture("tricky_board.xml", ctrl="\x0b", ctrl2="\x01\x1f")
        if rename:
            board = board.replace(RELATIVE, RENAMED)
        self.server.set("/board.xml", board.encode(), RSS)
        self.server.set("/training.atom", self._fixture("tricky_training.atom").encode(), ATOM)

    def poll(self) -> None:
        assert cli(self.workdir, "poll") == 0

    def _fixture(self, name: str, **replacements: str) -> str:
        text = (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", self.server.base)
        for key, value in replacements.items():
            text = text.replace("{" + key + "}", value)
        return text


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """feeds/ after one poll of the tricky sources (shared: the checks only read it)."""
    workdir = tmp_path_factory.mktemp("published")
    with FeedServer() as server:
        TrickySources(server, workdir).poll()
    return workdir / "feeds"


def output(feeds: Path, name: str) -> bytes:
    return (feeds / name).read_bytes()


# --- every output is valid ---


def test_every_atom_output_is_valid_by_the_rfc_4287_schema_and_w3c_rules(published: Path) -> None:
    problems = {
        f"{feed}.atom": atom_problems(output(published, f"{feed}.atom"), f"{SITE}/{feed}.atom")
        for feed in FEEDS
    }
    assert problems == {f"{feed}.atom": [] for feed in FEEDS}


def test_every_rss_output_is_valid_by_the_rss_2_0_spec_and_w3c_rules(published: Path) -> None:
    problems = {
        f"{feed}.rss": rss_problems(output(published, f"{feed}.rss"), f"{SITE}/{feed}.rss")
        for feed in FEEDS
    }
    assert problems == {f"{feed}.rss": [] for feed in FEEDS}


@pytest.fixture(scope="module")
def json_feed_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_json_feed_is_valid_by_the_json_feed_1_1_schema(
    published: Path, json_feed_validator: jsonschema.Draft202012Validator
) -> None:
    for feed in FEEDS:
        document = json.loads(output(published, f"{feed}.json"))
        errors = [f"{e.json_path}: {e.message}" for e in json_feed_validator.iter_errors(document)]
        assert errors == [], feed
        ids = [item["id"] for item in document["items"]]
        assert len(ids) == len(set(ids)), feed  # "unique for that item for that feed"
        unsafe = [p for item in document["items"] for p in html_problems(_html(item), item["id"])]
        assert unsafe == [], feed  # readers show content_html as is: safe, absolute links


def _html(item: dict[str, Any]) -> str:
    return str(item.get("content_html", ""))


def test_tricky_text_reaches_readers_intact_and_safe(published: Path) -> None:
    """What feedparser (a real reader's parser) gets out of our Atom and RSS."""
    titles = {item["title"] for item in json_feed(published.parent)["items"]}
    for name in ("all.atom", "all.rss"):
        parsed = feedparser.parse(output(published, name))
        assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        assert {entry.title for entry in parsed.entries} == titles, name
        text = output(published, name).decode()
        assert "\x0b" not in text and "\x01" not in text and "<script" not in text
        assert "🛡️ Safeguarding week 🎉" in text and "مراجعة حماية الطفل" in text
        assert "/news/caf%C3%A9%20guide?lang=%C3%BC#part%202" in text  # a URI, not raw IRI
    assert any("]]>" in item.get("content_html", "") or "]]&gt;" in item.get("content_html", "")
               for item in json_feed(published.parent)["items"])  # fmt: skip
    assert {'SAR "Tom & Jerry": neglect', "No date and no link"} <= titles


def test_opml_and_latest_block_pass_the_same_outside_checks(published: Path) -> None:
    assert opml_problems(output(published, "sources.opml")) == []
    assert opml_problems(output(published, "sources.opml").replace(b' type="rss"', b"")) == []
    broken = output(published, "sources.opml").replace(b"xmlUrl=", b"xmlURL=", 1)
    assert opml_problems(broken) == ["MissingXmlURL"]
    block = output(published, "latest.html").decode()
    assert html_problems(block, "latest.html") == []  # no scripts, handlers or relative links
    assert html_problems(block + '<a href="x">', "latest.html") != []


def test_atom_updated_ties_stay_distinct_without_reaching_into_the_future() -> None:
    """A first poll dates every undated item 'now': ties must not push entries ahead."""
    seen = datetime(2025, 10, 14, 9, 0, tzinfo=UTC)
    items = [_undated_item(n, seen) for n in range(1, 1001)]
    root = parse(build_atom(DEFAULT_FEEDS[0], items, Settings(site_url=SITE)))
    stamps = [datetime.fromisoformat(e.findtext(f"{A}updated")) for e in root.iter(f"{A}entry")]
    assert len(set(stamps)) == 1000
    assert max(stamps) - seen < timedelta(seconds=1)


def _undated_item(n: int, seen: datetime) -> StoredItem:
    return StoredItem(
        id=n, public_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}", title=f"Item {n}",
        url=None, canonical_url=None, summary="s", content_html=None, published=seen,
        updated=seen, category="news", review_type=None,
    )  # fmt: skip


# --- the checkers themselves catch what they claim to (each mutation must be reported) ---

Mutation = Callable[[etree._Element], None]


def _first_entry(root: etree._Element) -> etree._Element:
    return root.find(f"{A}entry")


def _set(path: str, value: str) -> Mutation:
    return lambda root: setattr(root.find(path), "text", value)


def _add(parent: str, markup: str) -> Mutation:
    return lambda root: root.find(parent).append(etree.fromstring(markup))


def _remove(path: str) -> Mutation:
    return lambda root: [node.getparent().remove(node) for node in root.findall(path)]


def _drop_links_and_content(root: etree._Element) -> None:
    for entry in root.findall(f"{A}entry"):
        for node in entry.findall(f"{A}link") + entry.findall(f"{A}content"):
            entry.remove(node)


def _duplicate_first_entry(root: etree._Element) -> None:
    root.append(copy.deepcopy(_first_entry(root)))


def _entry_child(markup: str) -> Mutation:
    """Append `markup` (an element in the Atom namespace) to the first entry."""
    return _add(f"{A}entry", markup.replace(" ", f' xmlns="{ATOM_NS}" ', 1))


def _html_content(escaped: str) -> Mutation:
    return _entry_child(f'<content type="html">{escaped}</content>')


def _self_elsewhere(root: etree._Element) -> None:
    root.find(f"{A}link[@rel='self']").set("href", "http://x.org/a")


def _no_language(root: etree._Element) -> None:
    root.attrib.pop("{http://www.w3.org/XML/1998/namespace}lang")


ENTRY_UPDATED = f"{A}entry/{A}updated"
ATOM_MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "feed without id": (_remove(f"{A}id"), "RELAX NG"),
    "unknown atom element": (_entry_child("<rating >5</rating>"), "RELAX NG"),
    "updated not a dateTime": (_set(ENTRY_UPDATED, "14 Oct 2025"), "RELAX NG"),
    "updated without zone": (_set(ENTRY_UPDATED, "2025-10-14T09:12:44"), "RFC3339"),
    "no author anywhere": (_remove(f"{A}author"), "Schematron"),
    "entry without link or content": (_drop_links_and_content, "Schematron"),
    "self elsewhere": (_self_elsewhere, "SelfDoesntMatchLocation"),
    "duplicate entry": (_duplicate_first_entry, "DuplicateEntries"),
    "id with a space": (_set(f"{A}entry/{A}id", "https://x.org/a b"), "InvalidIRI"),
    "non-canonical id": (_set(f"{A}entry/{A}id", "HTTP://X.org:80/a"), "NonCanonicalURI"),
    "pre-1990 date": (_set(ENTRY_UPDATED, "1970-01-01T00:00:00Z"), "ImplausibleDate"),
    "relative href": (_entry_child('<link rel="related" href="/x"/>'), "relative"),
    "raw IRI href": (_entry_child('<link rel="related" href="http://x.org/é"/>'), "FullLink"),
    "script in html": (_html_content("&lt;script&gt;x()&lt;/script&gt;"), "SecurityRisk"),
    "handler in html": (_html_content('&lt;p onclick="x()"&gt;a&lt;/p&gt;'), "SecurityRiskAttr"),
    "relative ref in html": (_html_content('&lt;a href="a/b"&gt;a&lt;/a&gt;'), "ContainsRelRef"),
    "markup in text title": (_set(f"{A}entry/{A}title", "a </b> b"), "UndeclaredHTML"),
    "entity in text title": (_set(f"{A}entry/{A}title", "Smith &amp; Jones"), "UndeclaredHTML"),
    "no xml:lang": (_no_language, "MissingDCLanguage"),
}


@pytest.mark.parametrize("name", ATOM_MUTATIONS)
def test_atom_checks_report_each_broken_rule(published: Path, name: str) -> None:
    mutate, expected = ATOM_MUTATIONS[name]
    root = parse(output(published, "all.atom"))
    mutate(root)
    problems = atom_problems(etree.tostring(root), f"{SITE}/all.atom")
    assert any(expected in problem for problem in problems), problems


def _item(root: etree._Element) -> etree._Element:
    return root.find("channel/item")


def _item_guid(value: str, permalink: str | None) -> Mutation:
    def mutate(root: etree._Element) -> None:
        guid = root.find("channel/item/guid")
        guid.text = value
        guid.attrib.pop("isPermaLink")
        if permalink is not None:
            guid.set("isPermaLink", permalink)

    return mutate


def _empty_item(root: etree._Element) -> None:
    _item(root).clear()
    etree.SubElement(_item(root), "guid", isPermaLink="false").text = "x"


def _both_authors(root: etree._Element) -> None:
    _add("channel/item", "<author>a@b.org (A)</author>")(root)
    _add("channel/item", '<c:creator xmlns:c="http://purl.org/dc/elements/1.1/">A</c:creator>')(
        root
    )


def _second_channel(root: etree._Element) -> None:
    root.append(copy.deepcopy(root.find("channel")))


def _self_without_type(root: etree._Element) -> None:
    root.find(f"channel/{A}link").attrib.pop("type")


def _duplicate_item(root: etree._Element) -> None:
    root.find("channel").append(copy.deepcopy(_item(root)))


PUB_DATE = "channel/item/pubDate"
_CONTENT_WITH_HANDLER = (
    '<c:encoded xmlns:c="http://purl.org/rss/1.0/modules/content/">&lt;b onmouseover="x()"&gt;'
    "</c:encoded>"
)
RSS_MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "no channel description": (_remove("channel/description"), "MissingElement"),
    "unknown element": (_add("channel", "<rating2>x</rating2>"), "UndefinedElement"),
    "two titles": (_add("channel", "<title>again</title>"), "DuplicateElement"),
    "two channels": (_second_channel, "one channel"),
    "empty item": (_empty_item, "ItemMustContainTitleOrDescription"),
    "non-URL permalink guid": (_item_guid("tricky-1", None), "InvalidPermalink"),
    "bad isPermaLink": (_item_guid("tricky-1", "no"), "InvalidBooleanAttribute"),
    "2-digit year": (_set(PUB_DATE, "Tue, 14 Oct 25 09:12:44 +0000"), "RFC822"),
    "wrong weekday": (_set(PUB_DATE, "Wed, 14 Oct 2025 09:12:44 +0000"), "IncorrectDOW"),
    "no self link": (_remove(f"channel/{A}link"), "MissingAtomSelfLink"),
    "self without type": (_self_without_type, "MissingTypeAttr"),
    "author and dc:creator": (_both_authors, "DuplicateItemSemantics"),
    "duplicate guid": (_duplicate_item, "DuplicateValue"),
    "script in description": (_set("channel/item/description", "<script>x()</script>"), "Risk"),
    "handler in content": (_add("channel/item", _CONTENT_WITH_HANDLER), "SecurityRiskAttr"),
    "link with a space": (_set("channel/item/link", "http://x.org/a b"), "InvalidFullLink"),
    "bad language": (_set("channel/language", "english"), "InvalidLanguage"),
}


@pytest.mark.parametrize("name", RSS_MUTATIONS)
def test_rss_checks_report_each_broken_rule(published: Path, name: str) -> None:
    mutate, expected = RSS_MUTATIONS[name]
    root = parse(output(published, "reviews.rss"))
    mutate(root)
    problems = rss_problems(etree.tostring(root), f"{SITE}/reviews.rss")
    assert any(expected in problem for problem in problems), problems


JSON_MUTATIONS: dict[str, Callable[[dict[str, Any]], object]] = {
    "no version": lambda d: d.pop("version"),
    "no items": lambda d: d.pop("items"),
    "numeric id": lambda d: d["items"][0].update(id=1),
    "no content": lambda d: [d["items"][0].pop(k, None) for k in ("content_html", "content_text")],
    "date not RFC 3339": lambda d: d["items"][0].update(date_published="14 Oct 2025"),
    "tags not strings": lambda d: d["items"][0].update(tags=[1]),
    "unprefixed extension": lambda d: d["items"][0].update(aggregator={}),
    "dotted extension key": lambda d: d["items"][0].update(_x={"a.b": 1}),
    "empty author": lambda d: d.update(authors=[{}]),
    "url with a space": lambda d: d["items"][0].update(url="http://x.org/a b"),
    "hub without type": lambda d: d.update(hubs=[{"url": "https://hub.example.org/"}]),
}


@pytest.mark.parametrize("name", JSON_MUTATIONS)
def test_json_feed_schema_reports_each_broken_rule(
    published: Path, json_feed_validator: jsonschema.Draft202012Validator, name: str
) -> None:
    document = json.loads(output(published, "all.json"))
    JSON_MUTATIONS[name](document)
    assert list(json_feed_validator.iter_errors(document))


# --- a real feed reader subscribed over HTTP ---


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TrickySources, str]]:
    """Tricky sources polled into tmp_path, feeds/ served by our web server: (sources, base)."""
    (tmp_path / "feeds").mkdir()
    server = make_server(create_app(tmp_path / "feeds"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with FeedServer() as upstream:
            sources = TrickySources(upstream, tmp_path)
            sources.poll()
            yield sources, server.url
    finally:
        server.close()
        thread.join(timeout=10)


def reader_view(reader: Any, url: str) -> dict[str, str]:
    return {entry.id: entry.title for entry in reader.get_entries(feed=url)}


def test_reader_library_sees_our_entries_and_a_changed_title_in_place(
    served: tuple[TrickySources, str], tmp_path: Path
) -> None:
    sources, base = served
    urls = [f"{base}/all.atom", f"{base}/all.rss", f"{base}/all.json"]
    reader = make_reader(str(tmp_path / "reader.sqlite"))
    try:
        for url in urls:
            reader.add_feed(url)
        reader.update_feeds()
        ours = {item["id"]: item["title"] for item in json_feed(tmp_path)["items"]}
        assert len(ours) == 8
        for url in urls:
            assert reader_view(reader, url) == ours, url
            assert reader.get_feed(url).last_exception is None, url

        sources.serve(rename=True)
        sources.poll()
        reader.update_feeds(scheduled=False)  # poll now, not on reader's hourly schedule
        renamed = {item["id"]: item["title"] for item in json_feed(tmp_path)["items"]}
        assert renamed.keys() == ours.keys()
        assert {ours[i] for i in ours if renamed[i] != ours[i]} == {RELATIVE}
        for url in urls:
            assert reader_view(reader, url) == renamed, url
    finally:
        reader.close()


def test_feedparser_reads_the_served_feeds_like_the_files(
    served: tuple[TrickySources, str], tmp_path: Path
) -> None:
    _, base = served
    for name in ("all.atom", "all.rss"):
        parsed = feedparser.parse(f"{base}/{name}")
        assert parsed.status == 200 and parsed.bozo == 0, name
        ids = [entry.id for entry in parsed.entries]
        assert ids == [item["id"] for item in json_feed(tmp_path)["items"]], name
        assert datetime(*parsed.feed.updated_parsed[:6], tzinfo=UTC) <= datetime.now(UTC)
