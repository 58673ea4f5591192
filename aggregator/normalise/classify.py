"""Decide what an item is: a review (and which kind), news, or training.

Signals come from four fields, strongest first: the title, the source's own categories (feed
`<category>` terms), the URL path and the summary; the source's category hint breaks ties and
decides when nothing else does. Admin `KeywordRule`s (source rules, then global rules) override
all of it.

Within the title, URL and categories a signal ladder decides (first rung that matches wins; on one
rung the earliest match in the text wins):

1. administrative news: subject access requests, jobs, calls for chairs/authors, tenders,
   appointments, privacy/cookies, minutes -> news ("Call for DHR panel chairs" is news);
2. events: training, courses, webinars, workshops, conferences, forums, "book your place",
   Eventbrite, times of day -> training ("Training on how to commission a SAR", "SAR learning
   event" are training: events are training);
3. publications that are not case reviews: annual reports, newsletters, strategies, guidance,
   statistics, analyses, protocols, press releases, blogs, responses to a review -> news
   ("DHR Annual Report", "Child Safeguarding Practice Review Panel annual report" are news);
4. learning products: 7 minute briefings (7MB), learning/practice briefings, learning packs and
   summaries, "learning from", lessons learned -> reviews/learning, even when they name the review
   they draw on ("Seven minute briefing on the DHR for Adult B" is learning);
5. named non-statutory reviews: MAPPA serious case reviews, Mental Health Homicide Reviews,
   Offensive Weapons Homicide Reviews -> reviews/other;
6. statutory reviews, earliest named wins: DHR (incl. Domestic Abuse Related Death Review, DARDR),
   SAR (incl. Safeguarding Adults Board review, Welsh Adult Practice Review, adult serious case
   reviews), CSPR (local/national, LCSPR, Rapid Review, Serious Case Review, Welsh Child Practice
   Review, Scottish significant case review, NSPCC repository titles "2025 - Place - Name");
   a thematic SAR is a SAR;
7. other reviews: thematic, multi-agency, learning reviews -> reviews/other; national reviews
   and the Child Safeguarding Practice Review Panel's work -> cspr;
8. weak: pseudonyms ("Child Q" -> cspr, "Mrs A" -> a review of unknown type), bare "executive
   summary"/"overview report"/"case review", then the word "news".

In the summary, which is free prose, the earliest signal wins instead, and only unambiguous event
wording counts as training ("the review recommended training" is not an event).
A reviews item with no known type is "other". With no signal at all the hint decides, else news.

Themes (several per item) come from normalise/themes.py, and every matching rule adds its own.

Joint types: the statutory reviews (DHR, SAR, CSPR) a review names besides its own type, in its
title ("Joint DHR/SAR: Mr O" is a DHR and a SAR) and, for a learning product, in its summary too
(the reviews it draws on). An "other" review has none ("outside the SAR criteria").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urlsplit

from aggregator.config.types import KeywordRule
from aggregator.errors import AggregatorError
from aggregator.models import Category, Classification, ReviewType
from aggregator.normalise.signals import (
    ADMIN,
    DASH_CHARS,
    FILE_EXTENSION,
    LABELS,
    PANEL,
    PATH_LADDER,
    QUOTE_CHARS,
    SAR_ABBREVIATION,
    SUMMARY_LADDER,
    TITLE_LADDER,
    Ladder,
    Verdict,
    fold,
    may_match,
)
from aggregator.normalise.themes import find_themes
from aggregator.themes import with_broader

__all__ = ["classify", "joint_types"]


# How much each field's verdict counts; a weak verdict counts _WEAK times as much.
_TITLE_WEIGHT = 8.0
_CATEGORIES_WEIGHT = 2.5
_URL_WEIGHT = 2.0
_SUMMARY_WEIGHT = 1.5
_HINT_WEIGHT = 1.2  # below any strong signal: the hint only breaks ties
_WEAK = 0.4


def classify(
    title: str,
    summary: str,
    url: str | None,
    source_categories: Sequence[str],
    *,
    hint: Category | None = None,
    rules: Sequence[KeywordRule] = (),
) -> Classification:
    """What an item is. `rules` are the source's rules followed by the global rules."""
    text = "\n".join((title, summary, url or ""))
    kind = _kind(title, summary, url, source_categories, hint, _apply_rules(rules, text))
    found = find_themes(title, summary, source_categories)
    ruled = _ruled_themes(rules, text)
    themes = with_broader((*found, *ruled)) if ruled else found
    joint = joint_types(kind.review_type, title, summary)
    return replace(kind, themes=themes, joint_types=joint)


_JOINT: tuple[ReviewType, ...] = ("dhr", "sar", "cspr")


def joint_types(review_type: str | None, title: str, summary: str) -> tuple[ReviewType, ...]:
    """The statutory review types a review of `review_type` also is (see the docstring above)."""
    if review_type not in ("learning", *_JOINT):
        return ()
    text = _clean(title) + ("\n" + _clean(summary) if review_type == "learning" else "")
    without_sars = LABELS["sar"].pattern.sub(" ", text)  # an adults' serious case review is a SAR
    return tuple(
        joint
        for joint in _JOINT
        if joint != review_type
        and LABELS[joint].pattern.search(without_sars if joint == "cspr" else text)
    )


def _kind(
    title: str,
    summary: str,
    url: str | None,
    source_categories: Sequence[str],
    hint: Category | None,
    ruled: tuple[Category | None, ReviewType | None],
) -> Classification:
    ruled_category, ruled_type = ruled
    if ruled_category is not None and ruled_category != "reviews":
        return Classification(ruled_category, None)
    fields = _fields(title, summary, url, source_categories)
    verdicts = [(weight, verdict) for weight, verdict in fields if verdict is not None]
    category = ruled_category or _decide_category(verdicts, hint)
    if category != "reviews":
        return Classification(category, None)
    return Classification("reviews", ruled_type or _decide_review_type(verdicts))


def _fields(
    title: str, summary: str, url: str | None, source_categories: Sequence[str]
) -> list[tuple[float, Verdict | None]]:
    parts = urlsplit(url) if url else None
    texts = [
        _clean(title),
        _clean(" | ".join(source_categories)),
        _url_words(parts),
        _clean(summary),
    ]
    if any("subject access" in text.lower() and ADMIN.search(text) for text in texts):
        texts = [SAR_ABBREVIATION.sub(" ", text) for text in texts]
    title_text, categories_text, url_text, summary_text = texts
    return [
        (_TITLE_WEIGHT, _verdict(title_text, TITLE_LADDER)),
        (_CATEGORIES_WEIGHT, _categories_verdict(categories_text)),
        (_URL_WEIGHT, _url_verdict(parts, url_text)),
        (_SUMMARY_WEIGHT, _verdict(summary_text, SUMMARY_LADDER)),
    ]


_PUNCTUATION = (
    ("\u00a0", " "),
    *((dash, "-") for dash in DASH_CHARS),
    *((quote, "'") for quote in QUOTE_CHARS),
)


def _clean(text: str) -> str:
    if not text.isascii():
        for char, replacement in _PUNCTUATION:  # faster than str.translate
            text = text.replace(char, replacement)
    text = " ".join(text.split())  # the same whitespace as a regex \s
    return PANEL.sub("panel", text) if "panel" in text.lower() else text


def _url_words(parts: SplitResult | None) -> str:
    if parts is None:
        return ""
    path = FILE_EXTENSION.sub("", unquote(parts.path).lower())
    for separator in "-_/.+":  # each a space, which _clean collapses: faster than a regex
        path = path.replace(separator, " ")
    return _clean(path)


def _url_verdict(parts: SplitResult | None, words: str) -> Verdict | None:
    host = (parts.hostname or "") if parts is not None else ""
    if "eventbrite." in host:
        return Verdict("training", None, True)
    if "nspcc." in host and "library" in host:
        return Verdict("reviews", "cspr", True)
    return _verdict(words, PATH_LADDER)


@lru_cache(maxsize=1024)
def _categories_verdict(text: str) -> Verdict | None:
    return _verdict(text, PATH_LADDER)


def _verdict(text: str, ladder: Ladder) -> Verdict | None:
    """The verdict of the first rung with a match; on a rung, the earliest (then longest) wins."""
    if not text:
        return None
    folded = fold(text)
    for rung in ladder:
        found = []
        for name in rung:
            label = LABELS[name]
            if folded is not None and not may_match(folded, label.anchors):
                continue
            if (match := label.pattern.search(text)) is not None:
                found.append((match.start(), -len(match.group()), name))
        if found:
            return LABELS[min(found)[2]].verdict
    return None


def _decide_category(verdicts: list[tuple[float, Verdict]], hint: Category | None) -> Category:
    scores: dict[Category, float] = {}
    for weight, verdict in verdicts:
        gain = weight if verdict.strong else weight * _WEAK
        scores[verdict.category] = scores.get(verdict.category, 0.0) + gain
    if hint is not None:
        scores[hint] = scores.get(hint, 0.0) + _HINT_WEIGHT
    if not scores:
        return "news"
    best = max(scores.values())
    tied = [category for category, score in scores.items() if score == best]
    return hint if hint in tied else tied[0]


def _decide_review_type(verdicts: list[tuple[float, Verdict]]) -> ReviewType:
    scores: dict[ReviewType, float] = {}
    for weight, verdict in verdicts:
        if verdict.category == "reviews" and verdict.review_type is not None:
            gain = weight if verdict.strong else weight * _WEAK
            scores[verdict.review_type] = scores.get(verdict.review_type, 0.0) + gain
    if not scores:
        return "other"
    return max(scores, key=lambda review_type: scores[review_type])


def _apply_rules(
    rules: Sequence[KeywordRule], text: str
) -> tuple[Category | None, ReviewType | None]:
    """First matching rule wins for each field it sets; a review_type implies reviews."""
    category: Category | None = None
    review_type: ReviewType | None = None
    for rule in rules:
        if category is not None and review_type is not None:
            break
        if not _matches(rule, text):
            continue
        if category is None:
            category = rule.category or ("reviews" if rule.review_type else None)
        if review_type is None:
            review_type = rule.review_type
    return category, review_type


def _ruled_themes(rules: Sequence[KeywordRule], text: str) -> list[str]:
    """Every matching rule adds its themes (unlike category and review type)."""
    return [
        theme for rule in rules if rule.themes and _matches(rule, text) for theme in rule.themes
    ]


def _matches(rule: KeywordRule, text: str) -> bool:
    return _compile_rule(rule.pattern).search(text) is not None


@lru_cache(maxsize=1024)
def _compile_rule(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise AggregatorError(f"invalid rule pattern {pattern!r}: {error}") from error
