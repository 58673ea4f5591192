"""Atom 1.0 and RSS 2.0 documents of one curated feed, built with feedgen."""

from __future__ import annotations

import html
import re
from datetime import datetime
from functools import partial
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator.config.types import FeedConfig, Settings
from aggregator.models import StoredItem
from aggregator.publish.common import (
    SITE_AUTHOR,
    as_uri,
    clean,
    distinct_updated,
    entry_id,
    feed_updated,
    feed_url,
    item_tags,
    site_url,
    themes_scheme,
    title_of,
    utc_seconds,
)
from aggregator.publish.publishers import Publisher, Publishers, publisher_of
from aggregator.themes import theme_label

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "safeguarding-feeds"
LANGUAGE = "en-GB"
# What readers (and the W3C validator) take for markup in a plain-text Atom construct.
_LOOKS_LIKE_MARKUP = re.compile(r"</\w+>|&#?\w+")
_READS_AS_HTML = re.compile(r"<[A-Za-z/!?]|&#?\w+;")


def build_atom(
    feed: FeedConfig,
    items: list[StoredItem],
    settings: Settings,
    publishers: Publishers | None = None,
) -> bytes:
    updated = distinct_updated(items)
    generator = _generator(feed, items, settings)
    generator.updated(max(updated.values(), default=feed_updated(items)))
    generator.link(href=feed_url(settings, feed, ".atom"), rel="self", type="application/atom+xml")
    generator.link(href=site_url(settings) + "/", rel="alternate", type="text/html")
    if settings.websub_hub:
        generator.link(href=settings.websub_hub, rel="hub")
    for item in reversed(items):  # feedgen prepends each new entry
        entry = generator.add_entry()
        _atom_entry(entry, item, updated[item.id], settings)
        _source(entry, publisher_of(item, publishers))
    data: bytes = generator.atom_str(pretty=True, encoding="UTF-8")
    return _declare_markup_titles(data)


def build_rss(
    feed: FeedConfig,
    items: list[StoredItem],
    settings: Settings,
    publishers: Publishers | None = None,
) -> bytes:
    generator = _generator(feed, items, settings)
    generator.link(href=feed_url(settings, feed, ".rss"), rel="self", type="application/rss+xml")
    generator.link(href=site_url(settings) + "/", rel="alternate")
    generator.language(LANGUAGE.lower())
    generator.docs("https://www.rssboard.org/rss-specification")
    if settings.websub_hub:
        # feedgen writes only the rel=self atom:link into RSS; add the hub link ourselves.
        hub_link = partial(_HubLink, settings.websub_hub)
        generator.register_extension("websub", hub_link, _NoEntryExtension, atom=False)
    generator.load_extension("dc", atom=False, rss=True)
    for item in reversed(items):
        entry = generator.add_entry()
        _rss_entry(entry, item, settings)
        _source(entry, publisher_of(item, publishers))
    data: bytes = generator.rss_str(pretty=True, encoding="UTF-8")
    return data


def _generator(feed: FeedConfig, items: list[StoredItem], settings: Settings) -> FeedGenerator:
    generator = FeedGenerator()
    generator.id(feed_url(settings, feed, ".atom"))
    generator.title(clean(feed.title) or feed.id)
    generator.subtitle(clean(feed.description) or clean(feed.title) or feed.id)
    generator.description(clean(feed.description) or clean(feed.title) or feed.id)
    generator.author({"name": SITE_AUTHOR, "uri": site_url(settings) + "/"})
    generator.generator(GENERATOR)
    generator.language(LANGUAGE)
    generator.updated(feed_updated(items))
    return generator


def _atom_entry(entry: Any, item: StoredItem, updated: datetime, settings: Settings) -> None:
    entry.id(entry_id(item, settings))
    entry.title(title_of(item))
    entry.updated(updated)
    entry.published(utc_seconds(item.published))
    if item.author and clean(item.author).strip():
        entry.author({"name": clean(item.author).strip()})
    if item.url:
        entry.link(href=as_uri(item.url), rel="alternate", type="text/html")
    summary = clean(item.summary).strip()
    if summary:
        value, kind = _text_construct(summary)
        entry.summary(value, type=kind)
    if item.content_html and clean(item.content_html).strip():
        entry.content(clean(item.content_html), type="html")
    elif not item.url:  # Atom: an entry without an alternate link must carry content
        value, kind = _text_construct(summary or title_of(item))
        entry.content(value, type=kind)
    for tag in item_tags(item):
        entry.category(term=tag, label=tag)
    for theme in item.themes:
        entry.category(term=theme, scheme=themes_scheme(settings), label=theme_label(theme))


def _source(entry: Any, publisher: Publisher | None) -> None:
    """Atom `<source>` (title, link) and RSS `<source url>`: where the item came from."""
    if publisher is not None and publisher.url:
        entry.source(url=publisher.url, title=publisher.name)


def _text_construct(text: str) -> tuple[str, str]:
    """(value, type) of an Atom text construct showing `text` as it is: plain text that looks
    like markup (`</b>`, `&amp;`) goes out escaped as type="html" so no reader renders it."""
    if _LOOKS_LIKE_MARKUP.search(text):
        return html.escape(text, quote=False), "html"
    return text, "text"


def _declare_markup_titles(data: bytes) -> bytes:
    """feedgen writes every atom:title as text: redo the ones that look like markup."""
    root = etree.fromstring(data)
    titles = [t for t in root.iter(f"{{{ATOM_NS}}}title") if t.get("type", "text") == "text"]
    changed = [t for t in titles if _LOOKS_LIKE_MARKUP.search(t.text or "")]
    if not changed:
        return data
    for title in changed:
        title.text, kind = _text_construct(title.text or "")
        title.set("type", kind)
    return bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))


def _rss_title(title: str) -> str:
    """Readers take an RSS title as HTML (RSS cannot say otherwise): a title that would read as
    markup (a tag, an entity) goes out escaped, as the RSS spec's examples do, so readers show
    the text. Others go out as they are: a bare "&" reads the same either way."""
    return html.escape(title, quote=False) if _READS_AS_HTML.search(title) else title


def _rss_entry(entry: Any, item: StoredItem, settings: Settings) -> None:
    entry.guid(entry_id(item, settings), permalink=False)
    entry.title(_rss_title(title_of(item)))
    entry.pubDate(utc_seconds(item.published))
    if item.url:
        entry.link(href=as_uri(item.url))
    summary = clean(item.summary).strip()
    if summary:  # RSS description is HTML: plain text must be escaped once more
        entry.description(html.escape(summary, quote=False))
    if item.content_html and clean(item.content_html).strip():
        entry.content(clean(item.content_html), type="html")
    if item.author and clean(item.author).strip():
        entry.dc.dc_creator(clean(item.author).strip())
    for tag in item_tags(item):
        entry.category(term=tag)
    for theme in item.themes:  # the label: RSS has no other place for what readers show
        entry.category(term=theme_label(theme), scheme=themes_scheme(settings))


class _HubLink:
    """A feedgen extension adding `<atom:link rel="hub">` to an RSS channel."""

    def __init__(self, hub: str) -> None:
        self.hub = hub

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, rss: Any) -> Any:
        channel = rss.find("channel")
        etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=self.hub, rel="hub")
        return rss

    def extend_atom(self, atom: Any) -> Any:
        return atom


class _NoEntryExtension:
    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, entry: Any) -> Any:
        return entry

    def extend_atom(self, entry: Any) -> Any:
        return entry
