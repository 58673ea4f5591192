"""Themes in the outputs (JSON Feed tags and _aggregator.themes, Atom and RSS <category>) and
the [[feed]] themes filter, on the fixture items and from the real store on both backends."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from lxml import etree

from aggregator.config.types import DEFAULT_FEEDS, Config, FeedConfig, Settings
from aggregator.models import Item, NewItem
from aggregator.publish import (
    build_atom,
    build_json_feed,
    build_rss,
    publish,
    render_block,
    select_items,
)
from aggregator.publish.block import block_columns, block_json
from aggregator.store import Storage
from aggregator.themes import with_broader
from tests.fixtures.publish.support import NOW, load_items

SITE = "https://feeds.example-partnership.org.uk"
SETTINGS = Settings(site_url=SITE)
ALL = DEFAULT_FEEDS[0]
DOMESTIC_ABUSE = FeedConfig("domestic-abuse", "Domestic abuse", themes=("domestic-abuse",))
ATOM = "{http://www.w3.org/2005/Atom}"


def test_json_feed_tags_carry_theme_labels_and_the_extension_their_slugs() -> None:
    items = select_items(load_items(), ALL, NOW)
    document = json.loads(build_json_feed(ALL, items, SETTINGS))
    by_title = {entry["title"]: entry for entry in document["items"]}
    dhr = by_title["Domestic Homicide Review: Adult B (published)"]
    assert dhr["tags"] == ["reviews", "dhr", "Domestic abuse"]
    assert dhr["_aggregator"]["themes"] == ["domestic-abuse"]
    cspr = by_title["Child Safeguarding Practice Review: Child Q"]
    assert (cspr["tags"], cspr["_aggregator"]["themes"]) == (["reviews", "cspr"], [])


def test_atom_and_rss_categories_name_each_theme_in_the_themes_scheme() -> None:
    items = select_items(load_items(), ALL, NOW)
    root = etree.fromstring(build_atom(ALL, items, SETTINGS))
    themed = [
        (c.get("term"), c.get("label"))
        for c in root.iter(f"{ATOM}category")
        if c.get("scheme") == f"{SITE}/themes"
    ]
    assert sorted(themed) == [
        ("domestic-abuse", "Domestic abuse"),
        ("domestic-abuse", "Domestic abuse"),
        ("neglect", "Neglect"),
        ("professional-curiosity", "Professional curiosity"),
    ]
    rss = etree.fromstring(build_rss(ALL, items, SETTINGS))
    domains = [(c.text, c.get("domain")) for c in rss.iter("category") if c.get("domain")]
    assert ("Professional curiosity", f"{SITE}/themes") in domains
    assert len(domains) == 4


def test_a_themes_feed_keeps_the_items_with_any_of_its_themes() -> None:
    chosen = select_items(load_items(), DOMESTIC_ABUSE, NOW)
    assert sorted(item.id for item in chosen) == [103, 107]
    either = FeedConfig("either", "Either", themes=("neglect", "professional-curiosity"))
    assert sorted(item.id for item in select_items(load_items(), either, NOW)) == [104, 105]
    assert select_items(load_items(), FeedConfig("x", "X", themes=("hoarding",)), NOW) == []


def _item(key: str, title: str, themes: tuple[str, ...]) -> Item:
    url = f"https://www.northshiresab.org.uk/news/{key}/"
    return Item(
        source_id="northshire-sab",
        source_key=key,
        title=title,
        url=url,
        canonical_url=url.rstrip("/"),
        summary="",
        content_html=None,
        published=datetime(2025, 1, 20, 9, 0, tzinfo=UTC),
        updated=datetime(2025, 1, 20, 9, 0, tzinfo=UTC),
        category="training",
        review_type=None,
        content_hash=key,
        themes=themes,
    )


def test_a_themes_feed_published_from_the_store(storage: Storage, tmp_path: Path) -> None:
    exploitation = FeedConfig("exploitation", "Exploitation", themes=("exploitation",))
    config = Config("sources.toml", SETTINGS, feeds=(ALL, exploitation))
    cuckooing = _item("cuckooing", "Cuckooing: lunch and learn", with_broader(["cuckooing"]))
    forum = _item("forum", "Self-neglect practitioner forum", ("self-neglect",))
    course = _item("course", "Level 3 safeguarding adults", ())
    decisions = [NewItem(i, (f"src:{i.source_id}:{i.source_key}",)) for i in (cuckooing, forum)]
    forum_id = storage.apply(decisions, now=NOW)[1]
    storage.apply([NewItem(course, ("src:northshire-sab:course",))], now=NOW)
    storage.set_item(forum_id, themes=["modern-slavery"], actor="carol")  # a curator's word
    publish(storage, config, tmp_path, now=NOW)
    titles = [entry.title for entry in feedparser.parse(tmp_path / "exploitation.atom").entries]
    assert sorted(titles) == ["Cuckooing: lunch and learn"]
    assert len(feedparser.parse(tmp_path / "all.atom").entries) == 3
    storage.set_item(forum_id, themes=["exploitation"], actor="carol")
    publish(storage, config, tmp_path, now=NOW)
    document = json.loads((tmp_path / "exploitation.json").read_text("utf-8"))
    assert {entry["title"]: entry["_aggregator"]["themes"] for entry in document["items"]} == {
        "Cuckooing: lunch and learn": ["exploitation", "criminal-exploitation", "cuckooing"],
        "Self-neglect practitioner forum": ["exploitation"],
    }


def test_the_block_data_carries_theme_labels_for_a_template_to_show(tmp_path: Path) -> None:
    items = select_items(load_items(), ALL, NOW)
    settings = Settings(site_url=SITE, block_items=5)
    data = json.loads(block_json(block_columns(items, settings, DEFAULT_FEEDS), settings))
    entries = {e["title"]: e["themes"] for c in data["columns"] for e in c["entries"]}
    assert entries["Domestic abuse awareness e-learning"] == ["Domestic abuse"]
    assert entries["Child Safeguarding Practice Review: Child Q"] == []
    template = tmp_path / "block.html"
    template.write_text(
        "{% for c in columns %}{% for e in c.entries %}"
        "<p>{{ e.title }}: {{ e.themes|join(', ') }}</p>{% endfor %}{% endfor %}"
    )
    columns = block_columns(items, settings, DEFAULT_FEEDS)
    markup = render_block(columns, replace(settings, block_template=str(template)))
    assert "<p>7 Minute Briefing: Professional Curiosity: Professional curiosity</p>" in markup
