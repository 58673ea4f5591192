"""Classification: accuracy over a labelled set, admin rule precedence, hints, false friends."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.config.types import KeywordRule
from aggregator.errors import AggregatorError
from aggregator.models import CATEGORIES, REVIEW_TYPES, Category, Classification
from aggregator.normalise.classify import classify

LABELLED = Path(__file__).parents[1] / "fixtures" / "classify" / "labelled.csv"


def _labelled_rows() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _predict(row: dict[str, str]) -> Classification:
    hint = row["hint"] or None
    assert hint is None or hint in CATEGORIES
    categories = tuple(c for c in row["source_categories"].split("|") if c)
    return classify(row["title"], row["summary"], row["url"] or None, categories, hint=hint)


# --- the labelled set ---


def test_labelled_set_is_large_well_formed_and_has_a_holdout() -> None:
    rows = _labelled_rows()
    assert len(rows) >= 200
    holdout = sum(row["split"] == "holdout" for row in rows)
    assert 0.25 <= holdout / len(rows) <= 0.35
    for row in rows:
        assert row["split"] in ("tune", "holdout")
        assert row["category"] in CATEGORIES
        if row["category"] == "reviews":
            assert row["review_type"] in REVIEW_TYPES
        else:
            assert row["review_type"] == ""
    assert {row["review_type"] for row in rows} >= {"dhr", "sar", "cspr", "learning", "other"}


def test_category_accuracy_over_the_labelled_set() -> None:
    rows = _labelled_rows()
    right = sum(_predict(row).category == row["category"] for row in rows)
    assert right / len(rows) >= 0.9


def test_review_type_accuracy_among_reviews() -> None:
    reviews = [row for row in _labelled_rows() if row["category"] == "reviews"]
    right = sum(_predict(row).review_type == row["review_type"] for row in reviews)
    assert right / len(reviews) >= 0.9


def test_holdout_accuracy_is_not_far_below_the_floor() -> None:
    holdout = [row for row in _labelled_rows() if row["split"] == "holdout"]
    right = sum(_predict(row).category == row["category"] for row in holdout)
    assert right / len(holdout) >= 0.85


# --- built-in heuristics ---


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Safeguarding Adults Review – Mrs A & Miss G", ("reviews", "sar")),
        ("Friday 26 June 2020 - Safeguarding Adult Review – Mrs A & Miss G", ("reviews", "sar")),
        ("DHR Chloe – Executive Summary", ("reviews", "dhr")),
        ("Domestic Abuse Related Death Review: Ms X", ("reviews", "dhr")),
        ("DARDR – Mr Q", ("reviews", "dhr")),
        ("LCSPR Child Q", ("reviews", "cspr")),
        ("Serious Case Review: Family T", ("reviews", "cspr")),
        ("Rapid Review: Child V", ("reviews", "cspr")),
        ("2025 - Cambridgeshire and Peterborough - Gabriel", ("reviews", "cspr")),
        ("7MB – Professional curiosity", ("reviews", "learning")),
        ("Learning from SAR Adult F: 7 Minute Briefing", ("reviews", "learning")),
        ("7\u2011minute briefing – Cumulative harm", ("reviews", "learning")),
        ("Mental Health Homicide Review – Mr S", ("reviews", "other")),
        ("Offensive Weapons Homicide Review: Tyler", ("reviews", "other")),
        ("Thematic review of self-neglect deaths", ("reviews", "other")),
        ("Thematic Safeguarding Adults Review: self-neglect", ("reviews", "sar")),
        ("MAPPA Serious Case Review: Offender R", ("reviews", "other")),
        ("Multi-agency training: Working Together 2023", ("training", None)),
        ("Lunch and learn webinar: Exploitation", ("training", None)),
        ("Annual Report 2024-25 published", ("news", None)),
        ("Child Safeguarding Practice Review Panel annual report", ("news", None)),
    ],
)
def test_titles_in_real_world_shapes(title: str, expected: tuple[str, str | None]) -> None:
    got = classify(title, "", None, ())
    assert (got.category, got.review_type) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Subject Access Request (SAR) form", ("news", None)),
        ("Subject access requests", ("news", None)),
        ("Seven minute briefing on the DHR for Adult B", ("reviews", "learning")),
        ("Training on how to commission a SAR", ("training", None)),
        ("DHR Annual Report", ("news", None)),
        ("Call for DHR panel chairs", ("news", None)),
        ("SAR learning event: Mr W", ("training", None)),
        ("Covid-19: SARS-CoV-2 guidance for care homes", ("news", None)),
    ],
)
def test_false_friends(title: str, expected: tuple[str, str | None]) -> None:
    got = classify(title, "", None, (), hint="reviews")
    assert (got.category, got.review_type) == expected


def test_learning_disability_is_not_a_learning_product() -> None:
    got = classify("Learning Disability Week", "", None, ())
    assert got == Classification("news", None, ("disability",))
    got = classify("Learning disabilities and SARs", "", None, ())
    assert got == Classification("reviews", "sar", ("disability",))


def test_subject_access_silences_sar_in_the_url_too() -> None:
    got = classify("Subject access request", "", "https://sab.example/sar-form", ())
    assert got == Classification("news", None)
    assert classify("Form", "", "https://sab.example/sar-form", ()).category == "reviews"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://sab.example/safeguarding-adults-reviews/mrs-d/", ("reviews", "sar")),
        ("https://csp.example/domestic-homicide-reviews/ms-p/", ("reviews", "dhr")),
        ("https://scp.example/child-safeguarding-practice-reviews/child-w", ("reviews", "cspr")),
        ("https://scp.example/7-minute-briefings/neglect", ("reviews", "learning")),
        ("https://scp.example/training/neglect", ("training", None)),
        ("https://www.eventbrite.co.uk/e/exploitation-tickets-123", ("training", None)),
        ("https://scp.example/newsletters/spring", ("news", None)),
    ],
)
def test_url_path_alone_decides_when_the_title_says_nothing(
    url: str, expected: tuple[str, str | None]
) -> None:
    got = classify("Spring", "", url, ())
    assert (got.category, got.review_type) == expected


def test_source_categories_count() -> None:
    assert classify("Ms R", "", None, ("SAR",)) == Classification("reviews", "sar")
    assert classify("Online safety", "", None, ("Training", "Events")).category == "training"


def test_title_outweighs_url_and_categories() -> None:
    got = classify(
        "DHR Annual Report", "", "https://csp.example/domestic-homicide-reviews/x", ("DHR",)
    )
    assert got == Classification("news", None)


def test_summary_earliest_signal_wins() -> None:
    sar_first = (
        "This Safeguarding Adults Review examined the care. A 7 minute briefing is available."
    )
    briefing_first = "This seven minute briefing draws on SAR Mr D."
    assert classify("Mr D", sar_first, None, ()).review_type == "sar"
    assert classify("Mr D", briefing_first, None, ()).review_type == "learning"


def test_summary_mention_of_training_is_not_an_event() -> None:
    summary = "The review recommended that training on transitions be offered to social workers."
    assert classify("Transitions to adulthood", summary, None, ()).category == "reviews"
    event = "Join us for a free webinar on 3 July, 10:00–11:30."
    assert classify("Fire safety and hoarding", event, None, ()).category == "training"


def test_incidental_prose_words_are_not_signals() -> None:
    summary = (
        "Adult D lost his job; a referral was closed within minutes. An initial child protection"
        " conference was held. This Safeguarding Adults Review considers how agencies worked."
    )
    assert classify("Adult D", summary, None, ()) == Classification("reviews", "sar")


def test_a_cms_post_time_is_not_an_event_but_a_time_range_is() -> None:
    drupal = "Tue, 09/08/2026 - 12:00 A round-up of what the partnership did this spring."
    assert classify("Spring round-up", drupal, None, (), hint="news").category == "news"
    event = "Thursday 3 July, 9.30 to 12.30, online."
    assert classify("Cuckooing", event, None, (), hint="news").category == "training"


# --- the hint ---


def test_hint_decides_when_there_is_no_signal() -> None:
    assert classify("Child exploitation", "", None, (), hint="training").category == "training"
    assert classify("Carol", "", None, (), hint="reviews") == Classification("reviews", "other")
    assert classify("Carol", "", None, (), hint="news") == Classification("news", None)
    assert classify("Carol", "", None, ()) == Classification("news", None)


def test_reviews_hint_keeps_a_detected_type() -> None:
    url = "https://sab.example/safeguarding-adults-reviews/mr-v/"
    assert classify("Mr V", "", url, (), hint="reviews") == Classification("reviews", "sar")


def test_hint_breaks_a_tie_but_loses_to_a_strong_signal() -> None:
    assert classify("Carol", "", "https://x.example/news/carol", (), hint="reviews").category == (
        "reviews"
    )
    assert classify("SAR Adult F", "", None, (), hint="training").category == "reviews"
    assert classify("Board newsletter", "", None, (), hint="training").category == "news"


# --- admin rules ---


def test_rule_overrides_heuristics() -> None:
    rules = [KeywordRule(r"adult f", category="news")]
    assert classify("SAR Adult F", "", None, (), rules=rules) == Classification("news", None)


def test_rule_review_type_implies_reviews() -> None:
    rules = [KeywordRule(r"webinar", review_type="learning")]
    got = classify("Lunch and learn webinar", "", None, (), rules=rules)
    assert got == Classification("reviews", "learning")


def test_first_matching_rule_wins_and_source_rules_come_first() -> None:
    source_rules = [KeywordRule(r"neglect", review_type="cspr")]
    global_rules = [KeywordRule(r"neglect", review_type="sar"), KeywordRule(r".", category="news")]
    got = classify("Neglect", "", None, (), rules=[*source_rules, *global_rules])
    assert got == Classification("reviews", "cspr", ("neglect",))
    got = classify("Neglect", "", None, (), rules=global_rules)
    assert got == Classification("reviews", "sar", ("neglect",))


def test_each_field_comes_from_the_first_rule_that_sets_it() -> None:
    rules = [
        KeywordRule(r"mrs a", category="reviews"),
        KeywordRule(r"mrs", review_type="dhr"),
        KeywordRule(r"mrs", review_type="sar", category="training"),
    ]
    assert classify("Mrs A", "", None, (), rules=rules) == Classification("reviews", "dhr")


def test_rule_setting_only_reviews_leaves_the_type_to_heuristics() -> None:
    rules = [KeywordRule(r"adult f", category="reviews")]
    got = classify("Adult F", "", "https://sab.example/sars/adult-f", (), rules=rules)
    assert got == Classification("reviews", "sar")
    assert classify("Adult F", "", None, (), rules=rules) == Classification("reviews", "other")


def test_non_review_rule_drops_a_later_review_type() -> None:
    rules = [KeywordRule(r"dhr", category="training"), KeywordRule(r"dhr", review_type="dhr")]
    got = classify("DHR Tom", "", None, (), rules=rules)
    assert got == Classification("training", None, ("domestic-abuse",))


def test_rules_match_summary_and_url_case_insensitively() -> None:
    by_summary = [KeywordRule(r"CAWSTON", review_type="sar")]
    by_url = [KeywordRule(r"/events/", category="training")]
    assert classify("Report", "Cawston Park", None, (), rules=by_summary).review_type == "sar"
    got = classify("Report", "", "https://x.example/events/1", (), rules=by_url)
    assert got.category == "training"


def test_non_matching_rules_leave_heuristics_alone() -> None:
    rules = [KeywordRule(r"zzz", category="training")]
    got = classify("DHR Tom", "", None, (), rules=rules)
    assert got == Classification("reviews", "dhr", ("domestic-abuse",))


def test_invalid_rule_pattern_is_an_aggregator_error() -> None:
    with pytest.raises(AggregatorError, match="invalid rule pattern"):
        classify("x", "", None, (), rules=[KeywordRule(r"(unclosed", category="news")])


# --- invariants ---


@given(
    title=st.text(max_size=80),
    summary=st.text(max_size=200),
    url=st.none() | st.text(max_size=60).map(lambda path: f"https://x.example/{path}"),
    categories=st.lists(st.text(max_size=20), max_size=3),
    hint=st.none() | st.sampled_from(CATEGORIES),
)
def test_review_type_is_set_exactly_for_reviews(
    title: str, summary: str, url: str | None, categories: list[str], hint: Category | None
) -> None:
    got = classify(title, summary, url, categories, hint=hint)
    assert got.category in CATEGORIES
    assert (got.review_type is not None) == (got.category == "reviews")
    assert got.review_type is None or got.review_type in REVIEW_TYPES
