"""Is this pair of sightings one story? The pairwise judgement dedupe's grouping is built on.

It is symmetric and looks at the two sightings alone, never at what else is stored or in which
order things arrived, so the groups it makes do not depend on arrival order. A shared title is
weak evidence: boards reuse titles ("Christmas opening hours", "7 Minute Briefing:
Self-neglect", "Annual Report 2025-26"). What it takes, in order:

1. nothing that both name differs: review type, subject, month, day, place, number;
2. then one of: the same canonical URL; one links to the other's page (with a related title);
   the same named subject of a review; or similar titles *and* similar text (a repost quotes its
   story; two boards' own notices under one title do not share their words).

The same source announcing two things under two keys and two URLs is two things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from aggregator.dedupe.signature import Signature, text_similarity

MAX_DAYS = 30  # a repost follows its story within a month
RESEMBLANCE, LINK, SAME_PAGE = 0, 1, 2  # how strong the evidence is, weakest first


class Evidence(NamedTuple):
    score: float  # which of several matches is the best
    reason: str  # for the audit trail
    tier: int  # RESEMBLANCE, LINK or SAME_PAGE


@dataclass(frozen=True)
class Seen:
    """One sighting as dedupe compares it."""

    source_id: str
    url: str | None  # canonical
    published: datetime
    sig: Signature


def compatible(a: Signature, b: Signature) -> bool:
    """False when something both name differs: type, subject, month, day, place or number."""
    if a.review_type and b.review_type and a.review_type != b.review_type:
        return False
    if a.strong and b.strong and not a.strong & b.strong:
        return False
    return all(
        not (x and y) or bool(x & y)
        for x, y in (
            (a.months, b.months),
            (a.days, b.days),
            (a.places, b.places),
            (a.numbers, b.numbers),
        )
    )


def contradicts(a: Seen, b: Seen) -> bool:
    """Cannot be one story: something both name differs, or one source's two things (a source
    announces a thing once; two keys and two URLs are two things)."""
    if not compatible(a.sig, b.sig):
        return True
    return a.source_id == b.source_id and (not a.url or a.url != b.url)


def same_story(a: Seen, b: Seen) -> Evidence | None:
    """The evidence that a and b are one story, or None."""
    if a.url and a.url == b.url:
        return Evidence(3.0, "canonical-url", SAME_PAGE) if compatible(a.sig, b.sig) else None
    days = abs((a.published - b.published).total_seconds()) / 86400
    if days > MAX_DAYS or contradicts(a, b):
        return None
    title = jaccard(a.sig.core, b.sig.core) if a.sig.core or b.sig.core else 0.0
    words = jaccard(a.sig.content, b.sig.content)
    if _links(a, b) and (title >= 0.3 or words >= 0.5 or a.sig.strong & b.sig.strong):
        return Evidence(2.5 - days / 100, f"link title={title:.2f} days={days:.0f}", LINK)
    text = text_similarity(a.sig.text, b.sig.text)
    reason = f"near-dup title={title:.2f} text={text:.2f} days={days:.0f}"
    # A pseudonym is reused by many boards ("Adult A", 'Joan'): the same subject is the same
    # review where one names the board's place (a national library's entry for the board's own
    # page), where both name it, or where they share text; two pages naming no place are two.
    # The same holds for one course's session on one day.
    placed = _placed(a.sig, b.sig) or text >= 0.15
    if placed and (_same_subject(a.sig, b.sig, title) or _same_review(a.sig, b.sig)):
        return Evidence(1.0 + title + text / 2 - days / 100, reason, RESEMBLANCE)
    if placed and a.sig.days & b.sig.days and words >= 0.75:
        return Evidence(title + 0.5 - days / 100, reason, RESEMBLANCE)
    if _quoted(title, text):
        return Evidence(title + text - days / 100, reason, RESEMBLANCE)
    return None


def _links(a: Seen, b: Seen) -> bool:
    return bool((b.url and b.url in a.sig.links) or (a.url and a.url in b.sig.links))


def _same_subject(a: Signature, b: Signature, title: float) -> bool:
    """The same named subject of a review (one may name more people, but none the other lacks)."""
    if not (a.subjects and b.subjects) or not a.subjects & b.subjects:
        return False
    if not (a.subjects <= b.subjects or b.subjects <= a.subjects):
        return False
    if a.strong & b.strong:  # "Adult Z", "Mrs A", a quoted name
        return True
    return bool(a.review_type and a.review_type == b.review_type) or title >= 0.5


def _placed(a: Signature, b: Signature) -> bool:
    """Both name the same place, or only one names one (a listing of the board's own page)."""
    return bool(a.places & b.places) or bool(a.places) != bool(b.places)


def _same_review(a: Signature, b: Signature) -> bool:
    """Reviews of one type whose titles name nothing but the same subject ("SAR – PETER")."""
    return bool(a.review_type and a.review_type == b.review_type and a.core and a.core == b.core)


def _quoted(title: float, text: float) -> bool:
    """Similar titles (in what they are about, not in the field's vocabulary) and shared text:
    a repost quoting its story. Boilerplate summaries alone never make two items one."""
    if text >= 0.5:
        return title >= 0.4
    return text >= 0.3 and title >= 0.5


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
