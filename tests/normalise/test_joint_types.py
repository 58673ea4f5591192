"""Several review types per item: the statutory reviews a review or learning product also is."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aggregator.models import REVIEW_TYPES
from aggregator.normalise.classify import classify

LABELLED = Path(__file__).parents[1] / "fixtures" / "classify" / "labelled.csv"


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Joint DHR and SAR – Ms T", "", ("dhr", ("sar",))),
        ("Safeguarding Adults Review and Domestic Homicide Review: Mrs V", "", ("sar", ("dhr",))),
        ("Learning from SAR Adult F: 7 Minute Briefing", "", ("learning", ("sar",))),
        ("LCSPR Child X – 7 minute briefing", "", ("learning", ("cspr",))),
        (
            "Seven minute briefing: cumulative harm",
            "This briefing draws on DHR Ms A and SAR Mr B.",
            ("learning", ("dhr", "sar")),
        ),
        ("Serious Case Review (Adults): Mr E", "", ("sar", ())),
        ("Domestic Homicide Review: Mrs B", "", ("dhr", ())),
        ("Safeguarding Adults Review – Mr K", "The DHR panel was consulted.", ("sar", ())),
    ],
)
def test_the_review_types_an_item_also_is(
    title: str, summary: str, expected: tuple[str, tuple[str, ...]]
) -> None:
    got = classify(title, summary, None, ())
    assert (got.review_type, got.joint_types) == expected


@pytest.mark.parametrize(
    "title",
    [
        "MAPPA Serious Case Review: Offender R",  # an "other" review
        "Call for DHR panel chairs",  # not a review at all
        "Training on how to commission a SAR",
    ],
)
def test_other_reviews_and_non_reviews_have_no_joint_types(title: str) -> None:
    assert classify(title, "", None, ()).joint_types == ()


def test_labelled_joint_types_are_review_types_other_than_the_rows_own() -> None:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["joint_types"]]
    assert rows, "the labelled set has no joint_types"
    for row in rows:
        joint = row["joint_types"].split(";")
        assert row["category"] == "reviews" and set(joint) <= set(REVIEW_TYPES)
        assert row["review_type"] not in joint
