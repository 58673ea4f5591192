"""Who published it: each entry names the source of its representative sighting, in every
output (Atom and RSS `<source>`, JSON Feed `authors`, the block's "via" line), and the outputs
still pass the validators we did not write."""

from __future__ import annotations

import json

from lxml import etree

from aggregator.config.types import DEFAULT_FEEDS, Config, Settings, SourceConfig
from aggregator.models import StoredItem
from aggregator.publish import build_atom, build_json_feed, build_rss, select_items
from aggregator.publish.block import block_columns, block_json, render_block
from aggregator.publish.publishers import publishers_of
from aggregator.publish.render import render_outputs
from tests.fixtures.publish.support import NOW, FakeReader, by_id, load_items
from tests.support.feed_rules import atom_problems, rss_problems

SITE = "https://feeds.example-partnership.org.uk"
SETTINGS = Settings(site_url=SITE)
ALL = DEFAULT_FEEDS[0]
SOURCES = (
    SourceConfig(
        "exampleshire-scp",
        "Exampleshire Safeguarding Children Partnership",
        "feed",
        "https://www.exampleshire-scp.org.uk/feed/",
    ),
    SourceConfig(
        "exampleshire-sab",
        "Exampleshire SAB & Partners",
        "html",
        "https://www.exampleshire-sab.org.uk/reviews/",
    ),
    SourceConfig(
        "govuk-cspr",
        "gov.uk: CSPR publications",
        "govuk-search",
        "https://www.gov.uk/api/search.json",
    ),
)  # fmt: skip  (examplecity-csp is no longer configured: it keeps its id, and no link)
PUBLISHERS = publishers_of(SOURCES)
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def from_source(items: list[StoredItem], source_id: str) -> StoredItem:
    return next(item for item in items if item.source_id == source_id)


def by_title(xml: bytes, entry_path: str, title_path: str) -> dict[str, etree._Element]:
    root = etree.fromstring(xml)
    return {e.findtext(title_path, namespaces=ATOM): e for e in root.iterfind(entry_path, ATOM)}


def test_atom_entries_carry_their_source() -> None:
    items = load_items()
    entries = by_title(build_atom(ALL, items, SETTINGS, PUBLISHERS), "a:entry", "a:title")
    sab = entries[by_id(items, 102).title].find("a:source", ATOM)
    assert sab is not None
    assert sab.findtext("a:title", namespaces=ATOM) == "Exampleshire SAB & Partners"
    link = sab.find("a:link", ATOM)
    assert link is not None and link.get("href") == "https://www.exampleshire-sab.org.uk/reviews/"
    gone = from_source(items, "examplecity-csp")
    assert entries[gone.title].find("a:source", ATOM) is None  # no link to give


def test_rss_items_carry_their_source_url_and_name() -> None:
    items = load_items()
    entries = by_title(build_rss(ALL, items, SETTINGS, PUBLISHERS), "channel/item", "title")
    source = entries[from_source(items, "exampleshire-scp").title].find("source")
    assert source is not None
    assert source.get("url") == "https://www.exampleshire-scp.org.uk/feed/"
    assert source.text == "Exampleshire Safeguarding Children Partnership"


def test_json_feed_authors_name_the_author_then_the_publisher() -> None:
    items = load_items()
    document = json.loads(build_json_feed(ALL, items, SETTINGS, PUBLISHERS))
    authors = {entry["title"]: entry["authors"] for entry in document["items"]}
    assert authors[by_id(items, 101).title] == [
        {"name": "Child Safeguarding Practice Review Panel"},  # the item's own author
        {"name": "gov.uk: CSPR publications", "url": "https://www.gov.uk/api/search.json"},
    ]
    gone = from_source(items, "examplecity-csp")
    assert {"name": "examplecity-csp"} in authors[gone.title]


def test_the_block_says_via_whom() -> None:
    items = load_items()
    columns = block_columns(items, SETTINGS, DEFAULT_FEEDS, PUBLISHERS)
    html = render_block(columns, SETTINGS)
    assert "via Exampleshire SAB &amp; Partners" in html
    entries = [
        e for c in json.loads(block_json(columns, SETTINGS))["columns"] for e in c["entries"]
    ]
    assert {e["via"] for e in entries} <= {p.name for p in PUBLISHERS.values()} | {
        "examplecity-csp"
    }
    assert all(e["via"] for e in entries)


def test_outputs_with_sources_still_validate() -> None:
    for feed in DEFAULT_FEEDS:
        items = select_items(load_items(), feed, NOW)
        where = f"{SITE}/{feed.id}"
        assert atom_problems(build_atom(feed, items, SETTINGS, PUBLISHERS), where + ".atom") == []
        rss = rss_problems(build_rss(feed, items, SETTINGS, PUBLISHERS), where + ".rss")
        assert set(rss) <= {"ContainsUndeclaredHTML: item title has &amp;"}, rss


def test_publish_names_sources_from_the_configuration() -> None:

    config = Config("sources.toml", SETTINGS, SOURCES)
    outputs = render_outputs(FakeReader(load_items()), config, now=NOW)
    assert b'<source url="https://www.gov.uk/api/search.json">' in outputs["all.rss"]
    assert b"via gov.uk: CSPR publications" in outputs["latest.html"]
