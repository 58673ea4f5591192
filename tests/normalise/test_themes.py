"""Themes: the vocabulary's broader themes, the default heuristics and the admin rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aggregator.config.types import KeywordRule
from aggregator.normalise import themes as themes_module
from aggregator.normalise.classify import classify
from aggregator.normalise.themes import find_themes
from aggregator.themes import THEMES, unknown_themes, with_broader

LABELLED = Path(__file__).parents[1] / "fixtures" / "classify" / "labelled.csv"


def test_a_narrower_theme_brings_its_broader_ones_in_vocabulary_order() -> None:
    assert with_broader(["cuckooing"]) == ("exploitation", "criminal-exploitation", "cuckooing")
    assert with_broader(["hoarding", "hoarding"]) == ("self-neglect", "hoarding")
    assert with_broader(["neglect", "not-a-theme"]) == ("neglect",)
    assert unknown_themes(["neglect", "drugs"]) == ["drugs"]


def test_every_labelled_theme_is_in_the_vocabulary_and_broader_themes_are_labelled_too() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labelled = [tuple(row["themes"].split(";")) for row in rows if row["themes"]]
    assert labelled, "the labelled set has no themes column"
    for themes in labelled:
        assert not unknown_themes(themes)
        assert set(with_broader(themes)) == set(themes)


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Lunch and learn webinar: Cuckooing", "", {"cuckooing"}),
        ("Fire safety and hoarding", "", {"hoarding"}),
        ("Coercive control: half-day course", "", {"coercive-control"}),
        ("Mr Q", "Mr Q had been sleeping rough.", {"homelessness"}),
        ("Seven minute briefing – Neglect", "", {"neglect"}),
        ("Thematic SAR: self-neglect", "", {"self-neglect"}),
        ("Understanding the Mental Capacity Act", "", {"mental-capacity"}),
        ("Eventbrite: Safer sleep for babies", "", {"safer-sleep"}),
        ("Prevent awareness – e-learning", "", {"radicalisation"}),
        ("7-minute briefing – Fabricated or induced illness", "", {"fabricated-illness"}),
    ],
)
def test_the_text_names_the_theme(title: str, summary: str, expected: set[str]) -> None:
    assert expected <= set(find_themes(title, summary))


def test_self_neglect_is_not_neglect() -> None:
    assert "neglect" not in find_themes("Self-neglect practitioner forum", "")
    assert "neglect" not in find_themes("Self neglect and hoarding", "")


def test_a_domestic_homicide_review_is_about_domestic_abuse_but_its_process_is_not() -> None:
    assert find_themes("DHR Chloe – Executive Summary", "") == ("domestic-abuse",)
    assert find_themes("Jade", "", ("Domestic Homicide Reviews",)) == ("domestic-abuse",)
    assert find_themes("DARDR – Ms Z – executive summary", "") == ("domestic-abuse",)
    assert find_themes("Call for DHR panel chairs", "") == ()
    assert find_themes("Domestic Abuse Related Death Reviews: new name for DHRs", "") == ()
    assert find_themes("Domestic abuse awareness (Level 2)", "") == ("domestic-abuse",)


def test_lower_case_words_are_not_acronyms() -> None:
    assert find_themes("Our dhr", "") == ()
    assert find_themes("How we prevent falls", "") == ()


def test_no_theme_when_the_text_names_none() -> None:
    assert find_themes("Safeguarding Adults Review – Mr K", "He died in 2023.") == ()


def test_rules_add_their_themes_with_the_broader_ones_and_keep_the_heuristics() -> None:
    rules = [
        KeywordRule(r"operation lantern", themes=("county-lines",)),
        KeywordRule(r"lantern", themes=("modern-slavery",)),
        KeywordRule(r"zzz", themes=("online-safety",)),
    ]
    got = classify("Operation Lantern: neglect", "", None, (), rules=rules)
    assert got.themes == (
        "neglect",
        "exploitation",
        "criminal-exploitation",
        "county-lines",
        "modern-slavery",
    )
    assert got.category == "news"


def test_a_themes_only_rule_leaves_the_category_to_the_heuristics() -> None:
    rules = [KeywordRule(r"adult f", themes=("self-neglect",))]
    got = classify("SAR Adult F", "", None, (), rules=rules)
    assert (got.category, got.review_type, got.themes) == ("reviews", "sar", ("self-neglect",))


def test_every_theme_has_a_label() -> None:
    assert all(label and label[0].isupper() for label in THEMES.values())


def _every_pattern(title: str, summary: str, categories: tuple[str, ...]) -> tuple[str, ...]:
    """find_themes without its cheap word test: every theme's pattern tried on every text."""
    text = "\n".join((title, summary, " | ".join(categories)))
    found = [slug for slug, _anchors, pattern in themes_module._PATTERNS if pattern.search(text)]
    named = themes_module._DHR_ACRONYM.search(text) or themes_module._DHR_NAME.search(text)
    if named and not themes_module._PROCESS.search(title):
        found.append("domestic-abuse")
    return with_broader(found)


EXTRA_TEXTS = [
    ("DOMESTIC ABUSE AND OLDER PEOPLE", ""),
    ("Webinar", "Ms W was Killed By Her Ex-partner in 2021."),
    ("E-Safety for parents", "Co-sleeping and SUDI: a briefing."),
    ("Joint DHR/SAR: Mr O", ""),
    ("Hoarders and clutter", "Fraud, scams and financially exploited adults."),
]


def test_the_cheap_word_test_never_drops_a_theme_a_pattern_finds() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = [
            (r["title"], r["summary"], tuple(c for c in r["source_categories"].split("|") if c))
            for r in csv.DictReader(handle)
        ]
    for title, summary, categories in [*rows, *((t, s, ()) for t, s in EXTRA_TEXTS)]:
        assert find_themes(title, summary, categories) == _every_pattern(title, summary, categories)
