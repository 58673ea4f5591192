"""ParsedItem -> Item: identity within the source, absolute URLs, UTC dates, clean text and HTML."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aggregator.config.types import SourceConfig
from aggregator.models import Classification, Item, ParsedItem
from aggregator.normalise.canonical import canonical_url
from aggregator.normalise.sanitize import (
    absolute_url,
    html_to_text,
    sanitize_html,
    strip_bidi_controls,
    strip_control_chars,
)

Classifier = Callable[[str, str, str | None, tuple[str, ...]], Classification]

SUMMARY_LENGTH = 500
# gov.uk organisation feeds: the id is the page URL plus the time of its latest change.
_GOVUK_TIMESTAMPED_ID = re.compile(r"^https?://(www\.)?gov\.uk/[^#\s]*#\S+$", re.IGNORECASE)
_ELLIPSES = ("…", "&#8230;", "&hellip;")
# Pattern; a test any text it matches (spaces stripped from the end) passes; what a match
# starts with after its spaces; whether that is case-insensitive.
_Tail = tuple[re.Pattern[str], Callable[[str], bool], tuple[str, ...], bool]
_WORDPRESS_TAILS: tuple[_Tail, ...] = (
    (
        re.compile(r"\s*The post\b.{1,400}?\bappeared first on\b.{1,200}?\.?\s*$", re.IGNORECASE),
        lambda end: _may_contain(end[-220:], "appeared first on"),  # then 1-201 characters
        ("the post",),
        True,
    ),
    (
        re.compile(r"\s*Continue reading\b(.{0,200}?(→|»|…|\.\.\.))?\s*$"),
        lambda end: "Continue reading" in end,
        ("Continue reading",),
        False,
    ),
    (
        re.compile(r"\s*Read (more|the full story)\s*(→|»|…|\.\.\.)?\s*$", re.IGNORECASE),
        lambda end: (
            end.endswith(("→", "»", "…", "..."))
            or _may_contain(end[-5:], "more")
            or _may_contain(end[-5:], "story")
        ),
        ("read more", "read the full story"),
        True,
    ),
    (
        re.compile(r"\s*\[\s*(…|&#8230;|&hellip;|\.\.\.)\s*\]\s*$"),
        lambda end: end.endswith("]"),
        ("[",),
        False,
    ),
    (
        re.compile(r"\s*(…|&#8230;|&hellip;)\s*$"),
        lambda end: end.endswith(_ELLIPSES),
        _ELLIPSES,
        False,
    ),
)
# re.IGNORECASE matches these to an ASCII letter, lower() does not: İ ı (i), ſ (s), K (k)
_ODD_CASES = ("\u0130", "\u0131", "\u017f", "\u212a")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")


# --- identity ---


def source_keys(items: Sequence[ParsedItem], source: SourceConfig) -> list[str]:
    """One key per item, identifying the entry within its source across polls."""
    if source.identity == "link":
        return [_link_key(item) or _content_key(item) for item in items]
    if source.identity == "content":
        return [_content_key(item) for item in items]
    return _guid_keys(items)


def _guid_keys(items: Sequence[ParsedItem]) -> list[str]:
    story_of = [_story(item) for item in items]
    stories: dict[str, set[str]] = {}
    for item, story in zip(items, story_of, strict=True):
        if item.guid:
            stories.setdefault(item.guid, set()).add(story)
    keys: list[str] = []
    for item, story in zip(items, story_of, strict=True):
        guid = item.guid
        if guid and _GOVUK_TIMESTAMPED_ID.match(guid):
            keys.append(_link_key(item) or _path_query(guid.split("#", 1)[0]))
        elif guid and len(stories[guid]) == 1:
            keys.append(guid)
        elif guid:  # one guid shared by different stories: tell them apart
            keys.append(f"{guid}#{_digest(story)[:12]}")
        else:
            keys.append(_resolved_link(item) or _content_key(item))
    return _disambiguate(keys, story_of)


def _disambiguate(keys: list[str], story_of: list[str]) -> list[str]:
    """Keys still shared by different stories get the story's digest appended."""
    stories: dict[str, set[str]] = {}
    for key, story in zip(keys, story_of, strict=True):
        stories.setdefault(key, set()).add(story)
    return [
        key if len(stories[key]) == 1 else f"{key}#{_digest(story)[:12]}"
        for key, story in zip(keys, story_of, strict=True)
    ]


def _story(item: ParsedItem) -> str:
    return "\n".join((_resolved_link(item) or "", _comparable_title(item.title)))


def _resolved_link(item: ParsedItem) -> str | None:
    return absolute_url(item.link, item.base_url) if item.link else None


def _link_key(item: ParsedItem) -> str | None:
    link = _resolved_link(item)
    return _path_query(link) if link else None


def _path_query(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _content_key(item: ParsedItem) -> str:
    when = item.published or item.updated
    stamp = _utc(when).isoformat() if when else ""
    return (
        "sha1:"
        + hashlib.sha1(
            f"{_comparable_title(item.title)}|{stamp}".encode(), usedforsecurity=False
        ).hexdigest()
    )


def _comparable_title(title: str) -> str:
    return " ".join(plain_title(title).casefold().split())


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


# --- the item ---


def normalise(
    parsed: ParsedItem,
    source: SourceConfig,
    source_key: str,
    *,
    first_seen: datetime,
    now: datetime,
    classify: Classifier,
    tracking_params: Sequence[str] = (),
) -> Item:
    url = _resolved_link(parsed)
    summary = plain_summary(parsed.summary_html or parsed.content_html or "")
    title = plain_title(parsed.title) or _fallback_title(summary, url)
    content = sanitize_html(parsed.content_html, parsed.base_url) if parsed.content_html else None
    published, updated = item_dates(parsed, first_seen=first_seen, now=now)
    stable_date = source_date(parsed)
    verdict = classify(title, summary, url, parsed.categories)
    return Item(
        source_id=source.id,
        source_key=source_key,
        title=title,
        url=url,
        canonical_url=_canonical(url, tracking_params),
        summary=summary,
        content_html=content or None,
        published=published,
        updated=updated,
        category=verdict.category,
        review_type=verdict.review_type,
        themes=verdict.themes,
        author=_clean_line(plain_title(parsed.author or "")),  # loose parses leave &amp; in it
        source_categories=parsed.categories,
        event_date=parsed.event_date,
        content_hash=content_hash(title, url, summary, content, stable_date),
        provisional_date=stable_date is None or stable_date > _utc(now),
    )


def plain_title(title: str) -> str:
    """Parsers hand on plain text; only entities left by double-escaping feeds are decoded.

    Tags are not stripped here: a plain title may say "neglect <and> abuse".
    """
    if _ENTITY.search(title):
        title = html.unescape(title)
    return " ".join(strip_bidi_controls(strip_control_chars(title)).split())


def plain_summary(markup: str, limit: int = SUMMARY_LENGTH) -> str:
    text = remove_wordpress_tails(html_to_text(markup))
    return cut_on_word(text, limit)


def remove_wordpress_tails(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        for tail, may_match, starts, ignore_case in _WORDPRESS_TAILS:
            if not may_match(text.rstrip()):
                continue
            first = _first_of(starts, _folded(text) if ignore_case else text)
            if first >= 0:  # search from the spaces before it, not from every position
                match = tail.search(text, len(text[:first].rstrip()))
                if match:  # (a tail runs to the end: the only match)
                    text = text[: match.start()] + text[match.end() :]
    return text.strip()


def _may_contain(text: str, ascii_lower: str) -> bool:
    """False only when a case-insensitive search for `ascii_lower` would find nothing."""
    folded = _folded(text)
    return folded is None or ascii_lower in folded


def _folded(text: str) -> str | None:
    """text.lower(), as long as text; None where re.IGNORECASE matches more than lower() does."""
    if not text.isascii() and any(odd in text for odd in _ODD_CASES):
        return None
    return text.lower()  # as long as text: İ, the one letter that lower() lengthens, is odd


def _first_of(starts: tuple[str, ...], text: str | None) -> int:
    """Where the first of `starts` is in text: -1 if nowhere, 0 if unknown (text None)."""
    if text is None:
        return 0
    found = [at for at in map(text.find, starts) if at >= 0]
    return min(found) if found else -1


def cut_on_word(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def item_dates(
    parsed: ParsedItem, *, first_seen: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """(published, updated) in UTC, never later than now; updated never before published."""
    ceiling = _utc(now)
    published = min(_utc(parsed.published or parsed.updated or first_seen), ceiling)
    updated = min(_utc(parsed.updated), ceiling) if parsed.updated else published
    return published, max(updated, published)


def source_date(parsed: ParsedItem) -> datetime | None:
    """The date the source itself gave (UTC), unclamped; None when it gave none."""
    given = parsed.published or parsed.updated
    return _utc(given) if given else None


def content_hash(
    title: str, url: str | None, summary: str, content: str | None, published: datetime | None
) -> str:
    """What subscribers see, with the source's own date only: a date taken from the time of
    polling (missing, or clamped from the future) must not make every re-poll an update."""
    stamp = published.isoformat() if published else ""
    fields = (title, url or "", summary, content or "", stamp)
    return hashlib.sha256("|".join(fields).encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _canonical(url: str | None, tracking_params: Sequence[str] = ()) -> str | None:
    if url is None:
        return None
    return canonical_url(url, tracking_params)


def _fallback_title(summary: str, url: str | None) -> str:
    if summary:
        return cut_on_word(summary, 80)
    return url or "(untitled)"


def _clean_line(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(strip_control_chars(text).split()) or None
