"""Which themes an item's own words support: pure patterns over the title, the summary and the
source's categories (the URL only repeats the title). Admin rules add theirs in classify.py.

A theme is given when the text names it, or names something that is one of it: a domestic
homicide review (DHR, DARDR) is about domestic abuse, cuckooing is criminal exploitation. A
review's name counts only when the item is not about the reviewing itself (a call for DHR
chairs, DHR guidance, a DHR annual report carry no theme); words that name the theme outright
always count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aggregator.themes import with_broader


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


# Each theme: words one of which the lower-cased text must hold before its pattern is tried (a
# cheap test most items fail for most themes), then the pattern.
_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "domestic-abuse",
        ("domestic", "intimate", "killed by", "women's aid", "marac", "idva"),
        _words(
            r"domestic (?:abuse|violence)(?! related death)",
            r"intimate partner",
            r"killed by (?:her|his|their) (?:former |ex-?)?(?:partner|husband|wife|boyfriend)",
            r"women's aid",
            r"marac\b",
            r"idvas?\b",
        ),
    ),
    (
        "coercive-control",
        ("coercive",),
        _words(r"coercive (?:and controlling )?(?:control|behaviour)"),
    ),
    ("self-neglect", ("neglect",), _words(r"self[- ]?neglect")),
    ("hoarding", ("hoard", "clutter"), _words(r"hoard(?:ing|ers?)?\b", r"clutter")),
    (
        "neglect",
        ("neglect",),
        re.compile(r"(?<!self-)(?<!self )(?<!self)\bneglect(?:ed|ful)?\b", re.IGNORECASE),
    ),
    ("exploitation", ("exploit", "grooming"), _words(r"exploit(?:ation|ed)\b", r"grooming")),
    ("criminal-exploitation", ("criminal", "cce"), _words(r"criminal(?:ly)? exploit", r"cce\b")),
    ("sexual-exploitation", ("sexual", "cse"), _words(r"sexual(?:ly)? exploit", r"cse\b")),
    ("county-lines", ("county lines",), _words(r"county lines")),
    ("cuckooing", ("cuckoo",), _words(r"cuckoo(?:ing|ed)")),
    (
        "modern-slavery",
        ("slavery", "traffick"),
        _words(r"modern slavery", r"human trafficking", r"trafficked"),
    ),
    (
        "child-sexual-abuse",
        ("sexual abuse",),
        _words(r"child(?:hood)? sexual abuse", r"sexual abuse of children"),
    ),
    (
        "financial-abuse",
        ("financial", "scam", "fraud"),
        _words(r"financial(?:ly)? (?:abuse|exploit)", r"scams?\b", r"fraud"),
    ),
    (
        "mental-capacity",
        ("capacity", "mca", "deprivation of liberty", "dols"),
        _words(r"mental capacity", r"mca\b", r"deprivation of liberty", r"dols\b"),
    ),
    (
        "mental-health",
        ("mental", "psychiatr", "psychosis"),
        _words(r"mental (?:health|ill)", r"psychiatr", r"psychosis"),
    ),
    (
        "suicide-self-harm",
        ("suicid", "harm", "own li"),
        _words(r"suicid", r"self[- ]?harm", r"took (?:his|her|their) own li(?:fe|ves)"),
    ),
    (
        "substance-misuse",
        ("substance", "alcohol", "drug", "overdose"),
        _words(r"substance (?:mis)?use", r"alcohol", r"drug (?:use|misuse)", r"overdose"),
    ),
    (
        "homelessness",
        ("homeless", "rough"),
        _words(r"homeless", r"sleep(?:ing)? rough", r"rough sleep"),
    ),
    ("disability", ("disab", "autis"), _words(r"disabilit", r"disabled", r"autis")),
    (
        "transitions",
        ("transition",),
        _words(r"transitions\b", r"transition(?:ing)? (?:in)?to adult", r"transitional safeg"),
    ),
    ("safer-sleep", ("sleep", "sudi"), _words(r"safer? sleep", r"co-?sleep", r"sudi\b")),
    (
        "online-safety",
        ("online", "safety"),
        _words(r"online (?:safety|harms?|abuse)", r"safe online", r"e-?safety", r"internet safety"),
    ),
    (
        "radicalisation",
        ("radicali", "extremis", "prevent"),
        _words(r"radicali[sz]", r"extremis", r"prevent (?:duty|awareness|training|referral)"),
    ),
    (
        "hate-crime",
        ("hate", "mate crime"),
        _words(r"hate crime", r"mate crime", r"hate incident"),
    ),
    (
        "fabricated-illness",
        ("fabricated", "fii", "perplexing"),
        _words(r"fabricated (?:or|and) induced illness", r"fii\b", r"perplexing presentation"),
    ),
    (
        "professional-curiosity",
        ("curio", "uncertainty"),
        _words(r"professional(?:ly)? curio", r"respectful uncertainty"),
    ),
    (
        "information-sharing",
        ("information",),
        _words(r"information[- ]sharing", r"sharing (?:of )?information"),
    ),
)

# A domestic homicide review by any of its names (the acronyms only in capitals).
_DHR_ACRONYM = re.compile(r"\b(?:DHRs?|DARDRs?)\b")
_DHR_NAME = re.compile(r"\bdomestic (?:homicide|abuse related death) reviews?\b", re.IGNORECASE)
# Words of the reviewing itself rather than of what a review found.
_PROCESS = re.compile(
    r"\b(?:chairs?|panel|vacanc|recruit|guidance|process|statutory|procedure|protocol|policy"
    r"|annual report|submit|new name|renamed?|tender|authors?|terms of reference)",
    re.IGNORECASE,
)


def find_themes(title: str, summary: str, categories: Sequence[str] = ()) -> tuple[str, ...]:
    """The themes the text supports, each with its broader ones, in vocabulary order."""
    text = "\n".join((title, summary, " | ".join(categories)))
    lower = text.lower()
    found = [
        slug
        for slug, anchors, pattern in _PATTERNS
        if any(anchor in lower for anchor in anchors) and pattern.search(text)
    ]
    if _names_a_dhr(text, lower) and not _PROCESS.search(title):
        found.append("domestic-abuse")
    return with_broader(found)


def _names_a_dhr(text: str, lower: str) -> bool:
    if "dhr" in lower or "dardr" in lower:
        return _DHR_ACRONYM.search(text) is not None or _DHR_NAME.search(text) is not None
    return "domestic" in lower and _DHR_NAME.search(text) is not None
