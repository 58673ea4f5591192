"""Cost per added item against the REAL store (SQLite), at 1,000 and at 100,000 stored items.

    .venv/bin/python benchmarks/dedupe_store_cost.py [--sizes 1000 100000] [--added 300]
        [--text realistic|stress]

Each size gets a fresh SQLite file seeded in bulk through the store's own models (one item, one
sighting with its signature and the dedupe lookup keys per announcement, from the generator of
benchmarks/dedupe_quality.py: board-style titles, real English bodies, ~10% reposts; items
arriving at a constant rate so a larger store spans more time). Then `--added` new
announcements go through what ingest does for each one:
`lookup_keys` + `Storage.candidates` + `decide` + `Storage.apply`, timed one by one, taking
turns between the stores so that load from other processes falls on every size alike.
Goal: cost per item at 100k within 1.25x of the cost at 1k, on realistic text.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.dedupe.decide import decide, lookup_keys  # noqa: E402
from aggregator.dedupe.features import features  # noqa: E402
from aggregator.models import Item  # noqa: E402
from aggregator.store import Storage  # noqa: E402
from aggregator.store.schema import ItemKeyRow, ItemRow, SightingRow  # noqa: E402

BATCH = 2000
WARM_UP = 20  # first adds per store, not timed (connection pool, statement caches)
PER_DAY = 12.0
START = datetime(2000, 1, 1, tzinfo=UTC)


def load_generator() -> ModuleType:
    path = ROOT / "benchmarks" / "dedupe_quality.py"
    spec = importlib.util.spec_from_file_location("dedupe_quality_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_for(number: int, item: Item, now: datetime) -> tuple[dict[str, Any], ...]:
    keys = sorted(set(lookup_keys(item)))
    shown = {
        "title": item.title,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "summary": item.summary,
        "content_html": None,
        "published": item.published,
        "updated": item.updated,
        "author": None,
        "event_date": None,
        "category": item.category,
        "review_type": item.review_type,
    }
    item_row = shown | {
        "id": number,
        "public_id": f"urn:bench:{number}",
        "source_id": item.source_id,
        "representative_id": number,
        "pinned": False,
        "hidden": False,
        "deleted": False,
        "created_at": now,
    }
    sighting = shown | {
        "id": number,
        "item_id": number,
        "source_id": item.source_id,
        "source_key": item.source_key,
        "first_seen": now,
        "last_seen": now,
        "source_categories": [],
        "content_hash": item.content_hash,
        "signature": item.signature,
        "lookup_keys": keys,
    }
    return item_row, sighting, *({"key": key, "item_id": number} for key in keys)


def seed(storage: Storage, items: Iterable[Item]) -> int:
    """Bulk-insert items (one sighting each, with their keys); returns how many."""
    now = datetime.now(UTC)
    count = 0
    batch: list[tuple[dict[str, Any], ...]] = []
    for count, item in enumerate(items, start=1):
        batch.append(rows_for(count, item, now))
        if len(batch) == BATCH:
            _insert(storage, batch)
            batch = []
    if batch:
        _insert(storage, batch)
    return count


def _insert(storage: Storage, batch: list[tuple[dict[str, Any], ...]]) -> None:
    with storage.engine.begin() as connection:
        connection.execute(insert(ItemRow), [rows[0] for rows in batch])
        connection.execute(insert(SightingRow), [rows[1] for rows in batch])
        connection.execute(insert(ItemKeyRow), [key for rows in batch for key in rows[2:]])


def timed_add(storage: Storage, item: Item) -> tuple[float, int]:
    """Seconds to add one item (keys + candidates + decide + apply), and candidates found."""
    began = time.perf_counter()
    keys = lookup_keys(item)
    found = storage.candidates(keys)
    decision = decide(item, found, keys=keys)  # as ingest does
    storage.apply([decision], now=item.published)
    return time.perf_counter() - began, len(found)


def seeded_store(generator: ModuleType, size: int, folder: Path, text: str) -> Storage:
    storage = Storage.open(f"sqlite:///{folder / f'store-{size}.sqlite'}")
    began = time.perf_counter()
    seed(storage, generator.synthetic_items(size, PER_DAY, seed=1, start=START, text=text))
    print(f"  (seeded {size:,} items in {time.perf_counter() - began:.1f} s)", flush=True)
    return storage


def measure_interleaved(
    generator: ModuleType, stores: dict[int, Storage], added: int, text: str
) -> dict[int, tuple[list[float], list[int]]]:
    """Add items to every store in turn, so that machine load falls on all sizes alike."""
    streams = {
        size: list(
            generator.synthetic_items(
                added + WARM_UP,
                PER_DAY,
                seed=2,
                start=START + timedelta(days=size / PER_DAY),
                text=text,
            )
        )
        for size in stores
    }
    features.cache_clear()  # nothing remembered from seeding
    results: dict[int, tuple[list[float], list[int]]] = {size: ([], []) for size in stores}
    for n in range(added + WARM_UP):
        for size, storage in stores.items():
            seconds, found = timed_add(storage, streams[size][n])
            if n >= WARM_UP:
                results[size][0].append(seconds * 1e6)
                results[size][1].append(found)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--added", type=int, default=300)
    parser.add_argument("--text", choices=("realistic", "stress"), default="realistic")
    args = parser.parse_args()
    generator = load_generator()
    medians: list[float] = []
    with tempfile.TemporaryDirectory(prefix="dedupe-store-cost-") as folder:
        stores = {
            size: seeded_store(generator, size, Path(folder), args.text) for size in args.sizes
        }
        try:
            results = measure_interleaved(generator, stores, args.added, args.text)
        finally:
            for storage in stores.values():
                storage.close()
    for size, (micros, candidates) in results.items():
        medians.append(statistics.median(micros))
        print(
            f"stored {size:>7,}: {medians[-1]:8.1f} µs per added item (median), "
            f"{statistics.fmean(micros):8.1f} µs (mean), "
            f"{statistics.fmean(candidates):5.1f} candidates per lookup"
        )
    if len(medians) > 1:
        ratio = medians[-1] / medians[0]
        verdict = "within" if ratio <= 1.25 else "OVER"
        print(f"ratio largest/smallest (median): {ratio:.2f} ({verdict} the 1.25x goal)")


if __name__ == "__main__":
    main()
