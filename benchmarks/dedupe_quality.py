"""Dedupe quality and cost.

    .venv/bin/python benchmarks/dedupe_quality.py [--sizes 1000 100000] [--per-day 12]
        [--orders 20] [--text realistic|stress]

Prints, for each labelled set (tests/fixtures/dedupe/announcements.jsonl, and the generic-title
families of generic_families.jsonl, written before the matcher they score): precision and
recall on duplicate pairs, the wrong merges, and how many distinct groupings --orders random
arrival orders give (1: the same groups every time). Then the cost per added item (lookup_keys
+ candidate lookup in an in-memory key index bounded as the store's is + decide) with 1,000 and
100,000 stored items. The stored items are written as boards write them: formulaic titles from
benchmarks/realtext.py (many identical across boards), bodies of real English sentences
(pydoc_data's language reference, shipped with Python), about 10% reposted by another source
quoting the story; --text stress draws titles and bodies from a 30-word vocabulary instead.
They arrive at a constant rate (--per-day), so a larger store spans more time.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import realtext  # noqa: E402

from aggregator.dedupe.decide import decide, lookup_keys, with_signature  # noqa: E402
from aggregator.dedupe.features import features  # noqa: E402
from aggregator.models import Item, NewItem  # noqa: E402
from aggregator.normalise.canonical import canonical_url  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "dedupe"
BOARDS = 200
REPOSTED = 0.10


def load_memory_index() -> ModuleType:
    path = FIXTURES / "memory_index.py"
    spec = importlib.util.spec_from_file_location("dedupe_memory_index", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _story(rng: random.Random, when: datetime, text: str) -> tuple[str, str]:
    if text == "stress":
        return realtext.stress_title(rng), " ".join(realtext.stress_paragraphs(rng))
    return realtext.board_title(rng, when), " ".join(realtext.prose(rng))


def synthetic_items(
    count: int, per_day: float, seed: int, start: datetime, text: str = "realistic"
) -> Iterator[Item]:
    """Items as boards publish them, signed as polling signs them; ~10% reposts."""
    rng = random.Random(seed)
    step = timedelta(days=1) / per_day
    recent: list[Item] = []
    for n in range(count):
        when = start + step * n
        source = f"board-{rng.randrange(BOARDS)}"
        url = f"https://www.{source}.org.uk/{when:%Y/%m}/post-{seed}-{n}/"
        if recent and rng.random() < REPOSTED:
            story = rng.choice(recent)
            title = realtext.near_title(rng, story.title, source)
            summary = f"From our partners: {story.summary}"
        else:
            title, summary = _story(rng, when, text)
        item = with_signature(
            Item(
                source_id=source,
                source_key=f"{url}?p={n}",
                title=title,
                url=url,
                canonical_url=canonical_url(url),
                summary=summary[:600],
                content_html=None,
                published=when,
                updated=when,
                category="news",
                review_type=None,
                content_hash=str(n),
            )
        )
        recent = [*recent[-50:], item]
        yield item


def cost_per_added_item(
    memory: ModuleType, stored: int, per_day: float, text: str
) -> tuple[float, float]:
    """(median µs per added item, mean candidates per lookup) with `stored` items already in."""
    index = memory.MemoryIndex()
    start = datetime(2000, 1, 1, tzinfo=UTC)
    for item in synthetic_items(stored, per_day, seed=1, start=start, text=text):
        index.apply(NewItem(item, lookup_keys(item)))  # filling is not what is measured
    features.cache_clear()  # every run starts cold: nothing remembered from the filling
    end = start + timedelta(days=stored / per_day)
    timings, candidates = [], []
    for item in synthetic_items(2000, per_day, seed=2, start=end, text=text):
        began = time.perf_counter()
        keys = lookup_keys(item)
        found = index.candidates(keys)
        decision = decide(item, found, keys=keys)  # as ingest does
        timings.append(time.perf_counter() - began)
        candidates.append(len(found))
        index.apply(decision)
    return statistics.median(timings) * 1e6, statistics.mean(candidates)


def groupings(memory: ModuleType, announcements: list[tuple[str, Item]], orders: int) -> int:
    """How many distinct groupings `orders` random arrival orders give (1: always the same)."""
    seen = set()
    for seed in range(orders):
        order = list(range(len(announcements)))
        random.Random(seed).shuffle(order)
        assigned, _ = memory.run_labelled_set([announcements[n] for n in order])
        found: dict[int, set[int]] = defaultdict(set)
        for position, n in enumerate(order):
            found[assigned[position]].add(n)
        seen.add(frozenset(frozenset(members) for members in found.values()))
    return len(seen)


def quality(memory: ModuleType, orders: int) -> None:
    for name in ("announcements", "generic_families"):
        announcements = memory.load_announcements(FIXTURES / f"{name}.jsonl")
        assigned, _ = memory.run_labelled_set(announcements)
        truth = [group for group, _ in announcements]
        precision, recall = memory.precision_recall(truth, assigned)
        f1 = 2 * precision * recall / (precision + recall)
        pairs = memory.same_pairs(truth)
        wrong = len(memory.same_pairs(assigned) - pairs)
        sources = len({item.source_id for _, item in announcements})
        print(
            f"== {name}: {len(announcements)} items, {sources} sources, "
            f"{len(pairs)} duplicate pairs"
        )
        scores = f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}"
        print(f"{scores}  wrong merges {wrong}")
        print(f"groupings over {orders} random orders: {groupings(memory, announcements, orders)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--per-day", type=float, default=12.0)
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--text", choices=("realistic", "stress"), default="realistic")
    args = parser.parse_args()
    memory = load_memory_index()
    quality(memory, args.orders)
    cost_per_added_item(memory, 500, args.per_day, args.text)  # warm up
    medians: list[float] = []
    print(f"== cost per added item ({args.text} text)")
    for size in args.sizes:
        micros, cands = cost_per_added_item(memory, size, args.per_day, args.text)
        medians.append(micros)
        print(
            f"stored {size:>7,} ({args.per_day:.1f}/day): {micros:8.1f} µs per added item "
            f"(median), {cands:6.1f} candidates per lookup"
        )
    if len(medians) > 1:
        print(f"ratio largest/smallest: {medians[-1] / medians[0]:.2f}")


if __name__ == "__main__":
    main()
