"""The store groups one fixed set of feeds the same way whatever the order and batching in which
the sources are stored, and with several workers storing at once: the labelled sets of
tests/fixtures/dedupe, one source's items a poll, through ingest as polling runs it."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.dedupe.decide import lookup_keys, with_signature
from aggregator.models import Item
from aggregator.store import Storage
from aggregator.store.ingest.run import SourceItems, ingest_many
from aggregator.store.schema import ItemRow, SightingRow
from tests.conftest import BACKENDS, fresh_pg_schema
from tests.dedupe.test_dedupe import memory
from tests.dedupe.test_generic_titles import FAMILIES

NOW = datetime(2027, 2, 1, tzinfo=UTC)
Groups = frozenset[frozenset[tuple[str, str]]]


def polls() -> list[SourceItems]:
    """Each source's items as one poll hands them to ingest: signed and keyed."""
    by_source: dict[str, list[Item]] = defaultdict(list)
    for path in (memory.ANNOUNCEMENTS, FAMILIES):
        for _, item in memory.load_announcements(path):
            by_source[item.source_id].append(with_signature(item))
    return [
        SourceItems(items, NOW, [lookup_keys(item) for item in items])
        for _, items in sorted(by_source.items())
    ]


def truth() -> Groups:
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in (memory.ANNOUNCEMENTS, FAMILIES):
        for group, item in memory.load_announcements(path):
            found[f"{path.name}:{group}"].add((item.source_id, item.source_key))
    return frozenset(frozenset(members) for members in found.values())


def stored_groups(storage: Storage) -> Groups:
    with Session(storage.engine) as session:
        rows = session.execute(
            select(SightingRow.item_id, SightingRow.source_id, SightingRow.source_key)
            .join(ItemRow, ItemRow.id == SightingRow.item_id)
            .where(ItemRow.merged_into.is_(None))
        ).all()
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for item_id, source_id, source_key in rows:
        found[item_id].add((source_id, source_key))
    return frozenset(frozenset(members) for members in found.values())


@pytest.fixture(params=BACKENDS)
def fresh_dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Make empty databases of one backend, as many as asked for."""
    with ExitStack() as stack:
        counter = iter(range(100))

        def make() -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / f'db{next(counter)}.sqlite'}"
            return stack.enter_context(fresh_pg_schema())

        yield make


def store_in_order(db_url: str, seed: int) -> Groups:
    batches = polls()
    rng = random.Random(seed)
    rng.shuffle(batches)
    storage = Storage.open(db_url)
    try:
        while batches:  # polls store what is ready together: batches of 1 to 6 sources
            size = rng.randint(1, 6)
            ingest_many(storage, batches[:size])
            batches = batches[size:]
        return stored_groups(storage)
    finally:
        storage.close()


def test_any_order_and_batching_gives_the_same_groups(fresh_dbs: Callable[[], str]) -> None:
    first = store_in_order(fresh_dbs(), seed=0)
    # Nothing the labelled truth keeps apart is together (the store's own wrong merges).
    wrong = [sorted(g) for g in first if not any(g <= group for group in truth())]
    assert not wrong, wrong[:3]
    for seed in (1, 2):
        assert store_in_order(fresh_dbs(), seed) == first, f"seed {seed}"


def test_several_workers_storing_at_once_give_the_same_groups(
    fresh_dbs: Callable[[], str],
) -> None:
    db_url = fresh_dbs()
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite writers are serialised by the database lock")
    batches = polls()
    random.Random(7).shuffle(batches)
    workers = [Storage.open(db_url) for _ in range(3)]
    shares = [batches[n::3] for n in range(3)]
    failures: list[BaseException] = []

    def work(storage: Storage, share: list[SourceItems]) -> None:
        try:
            for start in range(0, len(share), 3):
                ingest_many(storage, share[start : start + 3])
        except BaseException as exc:  # reported below
            failures.append(exc)

    pairs = zip(workers, shares, strict=True)
    threads = [threading.Thread(target=work, args=pair) for pair in pairs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        together = stored_groups(workers[0])
    finally:
        for worker in workers:
            worker.close()
    assert together == store_in_order(fresh_dbs(), seed=0)
