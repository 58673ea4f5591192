"""Titles are plain text in every output: a title that is markup written as text is shown as
that text (RSS escapes it as HTML, since readers treat an RSS title as HTML), and bidirectional
control characters, which can make a title read as something else, never get through."""

from __future__ import annotations

import html
import json
from dataclasses import replace

import feedparser
from lxml import etree

from aggregator.config.types import DEFAULT_FEEDS, Settings
from aggregator.normalise.item import plain_title
from aggregator.publish import build_atom, build_json_feed, build_rss, render_block
from aggregator.publish.block import block_columns, block_json
from tests.fixtures.publish.support import load_items

SETTINGS = Settings(site_url="https://feeds.example.org")
ALL = DEFAULT_FEEDS[0]
MARKUP = 'Board update <script>alert(1)</script> & <b>"minutes"</b>'
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_an_rss_title_is_the_text_escaped_as_html_so_readers_show_the_text() -> None:
    item = replace(load_items()[0], title=MARKUP)
    data = build_rss(ALL, [item], SETTINGS)
    assert etree.fromstring(data).findtext("channel/item/title") == html.escape(MARKUP, quote=False)
    entry = feedparser.parse(data).entries[0]
    assert entry.title_detail.type == "text/html"
    assert html.unescape(entry.title) == MARKUP  # what a reader shows: the text, no script


def test_json_feed_and_latest_json_carry_the_same_plain_text() -> None:
    item = replace(load_items()[0], title=MARKUP, category="news", review_type=None)
    assert json.loads(build_json_feed(ALL, [item], SETTINGS))["items"][0]["title"] == MARKUP
    latest = json.loads(block_json(block_columns([item], SETTINGS, DEFAULT_FEEDS), SETTINGS))
    assert MARKUP in [entry["title"] for column in latest["columns"] for entry in column["entries"]]


def test_bidi_controls_are_stripped_from_titles() -> None:
    assert plain_title(f"Invoice{BIDI} review\u202egpj.exe") == "Invoice reviewgpj.exe"
    item = replace(
        load_items()[0], title=f"Spoofed\u202e title{BIDI}", category="news", review_type=None
    )
    columns = block_columns([item], SETTINGS, DEFAULT_FEEDS)
    as_json = [build_json_feed(ALL, [item], SETTINGS), block_json(columns, SETTINGS)]
    outputs = [
        build_atom(ALL, [item], SETTINGS).decode(),
        build_rss(ALL, [item], SETTINGS).decode(),
        render_block(columns, SETTINGS),
        *(json.dumps(json.loads(data), ensure_ascii=False) for data in as_json),
    ]
    for output in outputs:
        assert "Spoofed title" in output
        assert not set(BIDI) & set(output)
