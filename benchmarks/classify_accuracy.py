"""Accuracy of aggregator.normalise.classify over the labelled set, per split.

Usage: .venv/bin/python benchmarks/classify_accuracy.py [--errors tune|holdout|all]

Prints, for the whole set and for each split (tune, holdout): category accuracy, review_type
accuracy among rows labelled reviews, per-class precision/recall and the confusion matrices.
Then, per split, the precision and recall of joint types (the `joint_types` column) and each
theme's precision and recall (the labelled `themes` column, written before
the theme heuristics) and their micro average over every theme.
Misclassified rows are listed only for the split named by --errors (default: tune), so tuning
never looks at the holdout rows.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.models import (  # noqa: E402
    CATEGORIES,
    REVIEW_TYPES,
    Category,
    Classification,
    ReviewType,
)
from aggregator.normalise.classify import classify  # noqa: E402
from aggregator.themes import THEMES, unknown_themes  # noqa: E402

LABELLED = ROOT / "tests" / "fixtures" / "classify" / "labelled.csv"


@dataclass(frozen=True)
class Row:
    split: str
    title: str
    summary: str
    url: str | None
    source_categories: tuple[str, ...]
    hint: Category | None
    expected: Classification
    themes: frozenset[str] = frozenset()
    joint_types: frozenset[str] = frozenset()  # the labelled `joint_types` column


def load_rows(path: Path = LABELLED) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [_row(record) for record in csv.DictReader(handle)]


def _row(record: dict[str, str]) -> Row:
    category, review_type, hint = record["category"], record["review_type"], record["hint"]
    if category not in CATEGORIES or (review_type and review_type not in REVIEW_TYPES):
        raise ValueError(f"bad label in {record}")
    if hint and hint not in CATEGORIES:
        raise ValueError(f"bad hint in {record}")
    themes = frozenset(t for t in record["themes"].split(";") if t)
    if unknown_themes(themes):
        raise ValueError(f"bad theme in {record}")
    return Row(
        split=record["split"],
        title=record["title"],
        summary=record["summary"],
        url=record["url"] or None,
        source_categories=tuple(c for c in record["source_categories"].split("|") if c),
        hint=hint if hint else None,
        expected=Classification(category, cast(ReviewType, review_type or None)),
        themes=themes,
        joint_types=frozenset(t for t in record["joint_types"].split(";") if t),
    )


def predict(row: Row) -> Classification:
    return classify(row.title, row.summary, row.url, row.source_categories, hint=row.hint)


@dataclass(frozen=True)
class Scores:
    rows: int
    category_accuracy: float
    reviews: int
    review_type_accuracy: float


def score(pairs: Sequence[tuple[Row, Classification]]) -> Scores:
    right = sum(row.expected.category == got.category for row, got in pairs)
    reviews = [(row, got) for row, got in pairs if row.expected.category == "reviews"]
    typed = sum(row.expected.review_type == got.review_type for row, got in reviews)
    return Scores(
        rows=len(pairs),
        category_accuracy=right / len(pairs) if pairs else 0.0,
        reviews=len(reviews),
        review_type_accuracy=typed / len(reviews) if reviews else 0.0,
    )


def _report_matrix(labels: Sequence[str], pairs: Sequence[tuple[str, str]]) -> None:
    counts = Counter(pairs)
    width = max(len(label) for label in labels) + 2
    print("  expected \\ got".ljust(width + 2) + "".join(label.rjust(width) for label in labels))
    for expected in labels:
        cells = "".join(str(counts[(expected, got)]).rjust(width) for got in labels)
        print(f"  {expected}".ljust(width + 2) + cells)
    for label in labels:
        if label == "-":  # "not a review": a column, never a class of its own
            continue
        predicted = sum(n for (_, got), n in counts.items() if got == label)
        actual = sum(n for (exp, _), n in counts.items() if exp == label)
        hit = counts[(label, label)]
        precision = hit / predicted if predicted else 0.0
        recall = hit / actual if actual else 0.0
        print(f"  {label:<10} precision {precision:.3f}  recall {recall:.3f}  (n={actual})")


def report(name: str, pairs: Sequence[tuple[Row, Classification]]) -> Scores:
    scores = score(pairs)
    print(f"== {name}: {scores.rows} rows")
    print(f"category accuracy     {scores.category_accuracy:.3f}")
    print(f"review_type accuracy  {scores.review_type_accuracy:.3f}  ({scores.reviews} reviews)")
    print("category confusion:")
    _report_matrix(CATEGORIES, [(r.expected.category, got.category) for r, got in pairs])
    print("review_type confusion (rows labelled reviews; '-' = not a review):")
    labels = (*REVIEW_TYPES, "-")
    typed = [
        (r.expected.review_type or "-", got.review_type or "-")
        for r, got in pairs
        if r.expected.category == "reviews"
    ]
    _report_matrix(labels, typed)
    print()
    return scores


@dataclass(frozen=True)
class ThemeScore:
    theme: str
    labelled: int  # rows labelled with the theme
    predicted: int
    hit: int

    def line(self) -> str:
        precision = f"{self.hit / self.predicted:.3f}" if self.predicted else "  -  "
        recall = f"{self.hit / self.labelled:.3f}" if self.labelled else "  -  "
        return f"{self.theme:<24} precision {precision}  recall {recall}  (n={self.labelled})"


def theme_scores(pairs: Sequence[tuple[Row, Classification]]) -> list[ThemeScore]:
    """One score per theme of the vocabulary, then "micro" over every theme together."""
    scores = []
    for theme in THEMES:
        labelled = sum(theme in row.themes for row, _ in pairs)
        predicted = sum(theme in got.themes for _, got in pairs)
        hit = sum(theme in row.themes and theme in got.themes for row, got in pairs)
        scores.append(ThemeScore(theme, labelled, predicted, hit))
    total = ThemeScore(
        "micro",
        *(sum(getattr(s, name) for s in scores) for name in ("labelled", "predicted", "hit")),
    )
    return [*scores, total]


def report_themes(name: str, pairs: Sequence[tuple[Row, Classification]]) -> None:
    print(f"== themes {name}: {len(pairs)} rows")
    for theme_score in theme_scores(pairs):
        if theme_score.labelled or theme_score.predicted:
            print(theme_score.line())
    print()


def report_joint(name: str, pairs: Sequence[tuple[Row, Classification]]) -> None:
    """Precision and recall over (row, joint type) pairs."""
    labelled = sum(len(row.joint_types) for row, _ in pairs)
    predicted = sum(len(got.joint_types) for _, got in pairs)
    hit = sum(len(row.joint_types & set(got.joint_types)) for row, got in pairs)
    print(f"== joint types {name}: {len(pairs)} rows")
    print(ThemeScore("joint types", labelled, predicted, hit).line())
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", choices=("tune", "holdout", "all", "none"), default="tune")
    args = parser.parse_args(argv)
    pairs = [(row, predict(row)) for row in load_rows()]
    report("all", pairs)
    for split in ("tune", "holdout"):
        report(split, [(row, got) for row, got in pairs if row.split == split])
    for split in ("tune", "holdout"):
        report_themes(split, [(row, got) for row, got in pairs if row.split == split])
    for split in ("tune", "holdout"):
        report_joint(split, [(row, got) for row, got in pairs if row.split == split])
    shown = [(row, got) for row, got in pairs if args.errors in (row.split, "all")]
    for row, got in shown:
        if (row.expected.category, row.expected.review_type) != (got.category, got.review_type):
            print(
                f"MISS [{row.split}] {row.title!r} hint={row.hint}"
                f" expected {row.expected.category}/{row.expected.review_type}"
                f" got {got.category}/{got.review_type}"
            )
    for row, got in shown:
        if row.themes != set(got.themes):
            expected = ";".join(sorted(row.themes)) or "-"
            print(f"THEME MISS [{row.split}] {row.title!r} expected {expected} got {got.themes}")
        if row.joint_types != set(got.joint_types):
            expected = ";".join(sorted(row.joint_types)) or "-"
            print(
                f"JOINT MISS [{row.split}] {row.title!r} expected {expected} got {got.joint_types}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
