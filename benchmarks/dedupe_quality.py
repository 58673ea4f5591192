"""Dedupe quality and cost.

    .venv/bin/python benchmarks/dedupe_quality.py [--sizes 1000 100000] [--per-day 12]

Prints precision, recall and F1 on duplicate pairs of the labelled announcements
(tests/fixtures/dedupe/announcements.jsonl), then the cost per added item (lookup_keys +
candidate lookup in an in-memory key index + decide) with 1,000 and 100,000 stored synthetic
items. The store grows as a real one does, by time: synthetic items arrive at a constant rate
(--per-day), so a larger store spans more years. A second line per size packs the same number of
items into one year, to show how the cost depends on density rather than on store size.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.dedupe.decide import (  # noqa: E402
    _stored_features,
    decide,
    features,
    lookup_keys,
)
from aggregator.models import Item, NewItem  # noqa: E402
from aggregator.normalise.canonical import canonical_url  # noqa: E402


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Chloe Sam Daniel Rosie Amira Kelly Tom Anna Grace Linda Jade Paul Helen Zara Leo"
)
AREAS = _words(
    "Hampshire Portsmouth Kent Norfolk Leeds Southwark Devon Essex Surrey York Derby Luton"
)
TOPICS = _words(
    "self-neglect hoarding cuckooing exploitation coercive-control fire-safety transitions "
    "mental-capacity professional-curiosity neglect modern-slavery county-lines"
)
WORDS = _words(
    "agencies worked together review found missed opportunities share information risk family "
    "support housing health police adult social care learning recommendations practitioners "
    "board published report partnership training course online places book"
)


def load_memory_index() -> ModuleType:
    path = ROOT / "tests" / "fixtures" / "dedupe" / "memory_index.py"
    spec = importlib.util.spec_from_file_location("dedupe_memory_index", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def synthetic_title(rng: random.Random, when: datetime) -> tuple[str, str, str | None]:
    kind = rng.random()
    area = rng.choice(AREAS)
    if kind < 0.35:
        subject = rng.choice(
            [f"Adult {rng.choice('ABCDEFGHJKLMNPRSTVWXYZ')}", rng.choice(FIRST_NAMES)]
        )
        rtype = rng.choice(["sar", "dhr", "cspr"])
        label = {"sar": "Safeguarding Adults Review", "dhr": "DHR", "cspr": "LCSPR"}[rtype]
        return f"{label} – {subject} ({area})", "reviews", rtype
    if kind < 0.6:
        return (
            f"{rng.choice(['Course', 'Workshop', 'Briefing'])}: {rng.choice(TOPICS)}"
            f" – {when:%-d %B %Y}",
            "training",
            None,
        )
    if kind < 0.7:
        return f"{area} Safeguarding Bulletin – {when:%B %Y}", "news", None
    return f"{area}: new guidance on {rng.choice(TOPICS)} and {rng.choice(TOPICS)}", "news", None


def synthetic_items(count: int, per_day: float, seed: int, start: datetime) -> Iterator[Item]:
    rng = random.Random(seed)
    step = timedelta(days=1) / per_day
    for n in range(count):
        when = start + step * n
        title, category, rtype = synthetic_title(rng, when)
        source = f"source-{rng.randrange(40)}"
        url = f"https://www.{source}.org.uk/{when:%Y/%m}/post-{seed}-{n}/?utm_source=rss"
        summary = " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40)))
        yield Item(
            source_id=source,
            source_key=f"{url}?p={n}",
            title=title,
            url=url,
            canonical_url=canonical_url(url),
            summary=summary,
            content_html=None,
            published=when,
            updated=when,
            category=category,  # type: ignore[arg-type]
            review_type=rtype,  # type: ignore[arg-type]
            content_hash=str(n),
        )


def cost_per_added_item(memory: ModuleType, stored: int, per_day: float) -> tuple[float, float]:
    """(median µs per added item, mean candidates per lookup) with `stored` items already in."""
    index = memory.MemoryIndex()
    start = datetime(2000, 1, 1, tzinfo=UTC)
    for item in synthetic_items(stored, per_day, seed=1, start=start):
        index.apply(NewItem(item, lookup_keys(item)))  # filling is not what is measured
    for cache in (features, _stored_features):
        cache.cache_clear()  # every run starts cold: no features remembered from the filling
    end = start + timedelta(days=stored / per_day)
    timings, candidates = [], []
    for item in synthetic_items(2000, per_day, seed=2, start=end):
        began = time.perf_counter()
        keys = lookup_keys(item)
        found = index.candidates(keys)
        decision = decide(item, found, keys=keys)  # as ingest does
        timings.append(time.perf_counter() - began)
        candidates.append(len(found))
        index.apply(decision)
    return statistics.median(timings) * 1e6, statistics.mean(candidates)


def quality(memory: ModuleType) -> None:
    announcements = memory.load_announcements()
    assigned, _ = memory.run_labelled_set(announcements)
    truth = [group for group, _ in announcements]
    precision, recall = memory.precision_recall(truth, assigned)
    f1 = 2 * precision * recall / (precision + recall)
    pairs = len(memory.same_pairs(truth))
    print(f"labelled set: {len(announcements)} announcements, {pairs} duplicate pairs")
    print(f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--per-day", type=float, default=12.0)
    args = parser.parse_args()
    memory = load_memory_index()
    quality(memory)
    cost_per_added_item(memory, 500, args.per_day)  # warm up the interpreter and regexes
    results: dict[str, list[float]] = {"growing": [], "one year": []}
    for size in args.sizes:
        for label, per_day in (("growing", args.per_day), ("one year", size / 365)):
            micros, cands = cost_per_added_item(memory, size, per_day)
            results[label].append(micros)
            print(
                f"stored {size:>7,} ({label:8}, {per_day:7.1f}/day): "
                f"{micros:8.1f} µs per added item (median), {cands:6.1f} candidates per lookup"
            )
    for label, values in results.items():
        if len(values) > 1:
            print(f"ratio largest/smallest ({label}): {values[-1] / values[0]:.2f}")


if __name__ == "__main__":
    main()
