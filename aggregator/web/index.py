"""The index page: every published feed, with autodiscovery links for feed readers."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

FORMATS: tuple[tuple[str, str, str], ...] = (
    (".atom", "application/atom+xml", "Atom"),
    (".rss", "application/rss+xml", "RSS"),
    (".json", "application/feed+json", "JSON Feed"),
    (".ics", "text/calendar", "iCalendar"),
)
TITLE = re.compile(rb"<title(?:\s[^>]*)?>(.*?)</title>", re.DOTALL)
TITLE_SCAN_BYTES = 8192


@dataclass(frozen=True)
class FeedLinks:
    stem: str
    title: str
    formats: tuple[tuple[str, str, str], ...]  # (file name, media type, label)


def feed_title(atom: bytes) -> str | None:
    """The first <title> of an Atom document (the feed's own), as plain text."""
    match = TITLE.search(atom[:TITLE_SCAN_BYTES])
    if match is None:
        return None
    text = match.group(1).decode("utf-8", "replace")
    text = text.removeprefix("<![CDATA[").removesuffix("]]>")
    return html.unescape(re.sub(r"\s+", " ", text)).strip() or None


def feed_links(names: list[str], titles: dict[str, str | None]) -> list[FeedLinks]:
    """One entry per `*.atom` file, with whichever of its formats exist."""
    available = set(names)
    feeds = []
    for atom in sorted(n for n in names if n.endswith(".atom")):
        stem = atom.removesuffix(".atom")
        formats = tuple(
            (stem + suffix, media, label)
            for suffix, media, label in FORMATS
            if stem + suffix in available
        )
        feeds.append(FeedLinks(stem, titles.get(atom) or stem, formats))
    return feeds


def other_documents(names: list[str], feeds: list[FeedLinks]) -> list[str]:
    in_feeds = {name for feed in feeds for name, _, _ in feed.formats}
    return [name for name in names if name not in in_feeds]


def render_index(names: list[str], titles: dict[str, str | None]) -> str:
    feeds = feed_links(names, titles)
    head = "\n".join(_autodiscovery(feed) for feed in feeds)
    body = "\n".join(_feed_item(feed) for feed in feeds) or "<li>No feeds published yet.</li>"
    others = "\n".join(_other_item(name) for name in other_documents(names, feeds))
    return PAGE.format(head=head, feeds=body, others=others or "<li>None.</li>")


def _autodiscovery(feed: FeedLinks) -> str:
    return "\n".join(
        f'<link rel="alternate" type="{media}" title="{_e(feed.title)} ({label})" '
        f'href="{_e(name)}">'
        for name, media, label in feed.formats
    )


def _feed_item(feed: FeedLinks) -> str:
    links = " · ".join(f'<a href="{_e(name)}">{label}</a>' for name, _, label in feed.formats)
    return f"<li><strong>{_e(feed.title)}</strong> <code>{_e(feed.stem)}</code>: {links}</li>"


def _other_item(name: str) -> str:
    return f'<li><a href="{_e(name)}">{_e(name)}</a></li>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)


PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Safeguarding feeds</title>
{head}
</head>
<body>
<h1>Safeguarding feeds</h1>
<p>Subscribe to any of these feeds in a feed reader, or paste this page's address into one.</p>
<ul>
{feeds}
</ul>
<h2>Other documents</h2>
<ul>
{others}
</ul>
</body>
</html>
"""
