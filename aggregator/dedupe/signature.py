"""A sighting's compact signature: what dedupe compares, computed once when the item is made and
stored with the sighting (JSON), so judging a candidate never goes back to its text.

It holds the title's words and identifiers (review type, subjects, months, days, places,
numbers), a bottom-k sketch of the summary's word shingles (an estimate of their Jaccard
similarity, exact for short summaries) and the story pages the text links to.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from aggregator.dedupe.features import (
    MONTHS,
    TYPE_TOKENS,
    _days,
    _normalised_words,
    _plain,
    _shingles,
    _url_places,
    features,
)
from aggregator.models import Item
from aggregator.normalise.canonical import canonical_url

SKETCH = 64  # hashes kept of the summary's shingles: exact up to 64 shingles (~70 words)
MAX_LINKS = 8
MIN_SHINGLES = 6  # a summary of fewer than ~8 words is no evidence of shared text
_NUMBER = re.compile(r"(?<![\d.])(\d{1,4})(?![\d.])")
_FULL_DATE_NUMBERS = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"(?:\s+\d{4})?",
    re.I,
)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'“”‘’)]+")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


@dataclass(frozen=True)
class Signature:
    content: frozenset[str]  # the title's words (types unified; no stop words, dates, places)
    core: frozenset[str]  # content without generic safeguarding vocabulary
    review_type: str | None
    strong: frozenset[str]  # explicit review subjects: "adult_z", "mrs_a", a quoted name
    subjects: frozenset[str]  # strong subjects plus bare names in a review's title
    months: frozenset[str]  # "mar-2025"
    days: frozenset[str]  # "14-may" (the summary's too, and the event date, for training)
    places: frozenset[str]  # named in the text, the host or the path
    numbers: frozenset[str]  # the title's numbers that are not part of a date: years, issues
    text: tuple[int, ...]  # bottom-k sketch of the summary's word 3-shingles, ascending
    links: frozenset[str]  # canonical URLs of story pages the text links to


def signature(item: Item) -> Signature:
    """The signature of an incoming item: its text, and what only the Item knows."""
    sig = text_signature(item.title, item.summary, item.category == "reviews")
    rtype = sig.review_type
    if rtype is None and item.review_type in TYPE_TOKENS:
        rtype = item.review_type
    days = set(sig.days)
    if item.category == "training":
        days |= _days(_plain(item.summary))
        if item.event_date:
            days.add(f"{item.event_date.day}-{MONTHS[item.event_date.month - 1]}")
    own = item.canonical_url or (canonical_url(item.url) if item.url else None)
    places = sig.places | _url_places(item.url or own or "")
    links = _links(item.summary, item.content_html, own)
    return replace(sig, review_type=rtype, days=frozenset(days), places=places, links=links)


def text_signature(title: str, summary: str, review: bool = False) -> Signature:
    """What the title and summary alone say (a stored sighting without a signature)."""
    feats = features(title, summary, review)
    plain_summary = _plain(summary)
    return Signature(
        content=feats.content,
        core=feats.core,
        review_type=feats.review_type,
        strong=feats.strong,
        subjects=feats.subjects,
        months=feats.months,
        days=feats.days,
        places=feats.places,
        numbers=_numbers(_plain(title)),
        text=sketch(_shingles(_normalised_words(plain_summary))) if plain_summary else (),
        links=_links(summary, None, None),
    )


def sketch(shingles: frozenset[str]) -> tuple[int, ...]:
    """The SKETCH least crc32 hashes of the shingles (stable across runs: they are stored)."""
    return tuple(sorted({zlib.crc32(s.encode()) for s in shingles})[:SKETCH])


def text_similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Jaccard similarity of two shingle sets, estimated from their bottom-k sketches."""
    if len(a) < MIN_SHINGLES or len(b) < MIN_SHINGLES:
        return 0.0  # a few words say too little to be evidence
    shared = set(a).intersection(b)
    if not shared:
        return 0.0
    if len(a) < SKETCH and len(b) < SKETCH:  # whole sets: exact
        return len(shared) / (len(a) + len(b) - len(shared))
    union = sorted(set(a).union(b))[:SKETCH]
    return sum(h in shared for h in union) / len(union)


def _numbers(title: str) -> frozenset[str]:
    """Numbers in the title outside dates ("Issue 42", "2025-26", "phase 2"), as integers."""
    if not any(c.isdigit() for c in title):
        return frozenset()
    rest = _FULL_DATE_NUMBERS.sub(" ", title)
    return frozenset(str(int(n)) for n in _NUMBER.findall(rest))


def _links(summary: str, html: str | None, own: str | None) -> frozenset[str]:
    """Canonical URLs of story pages linked from the text (a site's home page is no story)."""
    found = _URL_IN_TEXT.findall(summary) if "http" in summary else []
    if html and "href" in html:
        found += [u for u in _HREF.findall(html) if u.startswith(("http://", "https://"))]
    links = set()
    for url in found:
        url = url.rstrip(".,;:!?")
        path = urlsplit(url).path.strip("/")
        if len(path) < 8 or ("/" not in path and "-" not in path):
            continue  # home pages, "/news", "/reviews": not one story
        canonical = canonical_url(url)
        if canonical and canonical != own:
            links.add(canonical)
    return frozenset(sorted(links)[:MAX_LINKS])


_FIELDS = ("content", "core", "strong", "subjects", "months", "days", "places", "numbers", "links")


def dumps(sig: Signature) -> str:
    """The signature as stored: compact JSON, sets sorted."""
    data: dict[str, object] = {f: sorted(getattr(sig, f)) for f in _FIELDS if getattr(sig, f)}
    if sig.review_type:
        data["type"] = sig.review_type
    if sig.text:
        data["text"] = list(sig.text)
    return json.dumps(data, separators=(",", ":"))


def loads(stored: str) -> Signature:
    data = json.loads(stored)
    sets = {f: frozenset(data.get(f, ())) for f in _FIELDS}
    return Signature(review_type=data.get("type"), text=tuple(data.get("text", ())), **sets)
