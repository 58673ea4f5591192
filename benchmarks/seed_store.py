"""Seed a SQLite store with N synthetic items quickly (bulk inserts, real dedupe keys).

Items arrive at a constant rate (30 a day), so a larger store spans more years, as a real one
does; each has one sighting and the lookup keys dedupe would have given it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from aggregator.dedupe.decide import lookup_keys
from aggregator.models import CATEGORIES, Item
from aggregator.store import Storage
from aggregator.store.schema import ItemKeyRow, ItemRow, SightingRow

PER_DAY = 30
BATCH = 5000


def synthetic_item(rng: random.Random, number: int, newest: datetime, words: list[str]) -> Item:
    published = newest - timedelta(days=number / PER_DAY, minutes=rng.randint(0, 600))
    title = " ".join(rng.choice(words) for _ in range(rng.randint(5, 10))).capitalize()
    summary = " ".join(rng.choice(words) for _ in range(40)) + "."
    source = f"seed{number % 300:03d}"
    url = f"https://{source}.example.net/news/{number}"
    category = CATEGORIES[number % 3]
    return Item(
        source_id=source,
        source_key=f"guid:{url}",
        title=title,
        url=url,
        canonical_url=url,
        summary=summary,
        content_html=f"<p>{summary}</p>",
        published=published,
        updated=published,
        category=category,
        review_type="sar" if category == "reviews" else None,
        content_hash=f"h{number}",
    )


def _rows(item_id: int, item: Item, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    shared = {
        "title": item.title,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "summary": item.summary,
        "content_html": item.content_html,
        "published": item.published,
        "updated": item.updated,
        "author": None,
        "event_date": None,
        "category": item.category,
        "review_type": item.review_type,
    }
    item_row = shared | {
        "id": item_id,
        "public_id": f"urn:uuid:seed-{item_id}",
        "source_id": item.source_id,
        "representative_id": item_id,
        "pinned": False,
        "hidden": False,
        "deleted": False,
        "created_at": now,
    }
    sighting = shared | {
        "id": item_id,
        "item_id": item_id,
        "source_id": item.source_id,
        "source_key": item.source_key,
        "first_seen": now,
        "last_seen": now,
        "source_categories": [],
        "content_hash": item.content_hash,
        "lookup_keys": [],
    }
    return item_row, sighting


def seed(storage: Storage, count: int, seed_value: int = 11) -> None:
    from farm import WORDS

    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    for start in range(0, count, BATCH):
        items, sightings, keys = [], [], []
        for number in range(start + 1, min(count, start + BATCH) + 1):
            item = synthetic_item(rng, number, now, WORDS)
            item_row, sighting = _rows(number, item, now)
            item_keys = sorted(set(lookup_keys(item)))
            sighting["lookup_keys"] = item_keys
            items.append(item_row)
            sightings.append(sighting)
            keys += [{"key": key, "item_id": number} for key in item_keys]
        with storage.engine.begin() as connection:
            connection.execute(insert(ItemRow), items)
            connection.execute(insert(SightingRow), sightings)
            connection.execute(insert(ItemKeyRow).prefix_with("OR IGNORE"), keys)


def seeded_storage(path: Path, count: int) -> Storage:
    if path.exists():
        path.unlink()
    storage = Storage.open(f"sqlite:///{path}")
    seed(storage, count)
    return storage
