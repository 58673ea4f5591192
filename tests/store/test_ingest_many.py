"""ingest and ingest_many: several sources' items and their states in one transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator.errors import StorageError
from aggregator.models import AddSighting, Candidate, Decision, Item, NewItem, SourceState
from aggregator.store import Storage
from aggregator.store.ingest.bulk import create_items
from aggregator.store.ingest.careful import Careful
from aggregator.store.ingest.run import IngestCounts, SourceItems, ingest, ingest_many
from aggregator.store.rawsql import Raw
from tests.conftest import BACKENDS, fresh_pg_schema
from tests.store.test_store import T0, make_item

STORY = "https://news.example.org/reviews/adult-a"


@pytest.fixture(params=BACKENDS)
def two_storages(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Storage]]:
    """Two empty, migrated databases of one backend."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            urls = [f"sqlite:///{tmp_path / f'db{n}.sqlite'}" for n in range(2)]
        else:
            urls = [stack.enter_context(fresh_pg_schema()) for _ in range(2)]
        storages = [Storage.open(url) for url in urls]
        try:
            yield storages
        finally:
            for storage in storages:
                storage.close()


def sources() -> list[list[Item]]:
    """Three polls: a story, the same story from another source (a merge), then an edit."""
    first = [make_item("board-a", "a-1", url=STORY), make_item("board-a", "a-2")]
    story = first[0].title  # a repost of the same page, under its title
    second = [make_item("board-b", "b-7", url=STORY, title=story), make_item("board-b", "b-8")]
    edited = replace(first[0], title="DHR: Adult A (revised)", content_hash="revised")
    return [first, second, [edited, first[1]]]


def snapshot(storage: Storage) -> list[tuple[Any, ...]]:
    rows = storage.items(include_hidden=True)
    return [
        (i.id, i.title, i.source_id, [(s.source_id, s.url, s.first_seen) for s in i.sightings])
        for i in rows
    ]


def test_ingest_many_stores_what_ingest_one_by_one_stores(two_storages: list[Storage]) -> None:
    one_by_one, together = two_storages
    batches = [SourceItems(items, T0 + timedelta(hours=n)) for n, items in enumerate(sources())]
    counted = [ingest(one_by_one, batch.items, now=batch.now) for batch in batches]
    assert ingest_many(together, batches) == counted
    assert counted == [
        IngestCounts(new=2),
        IngestCounts(new=1, merged=1),
        IngestCounts(updated=1, unchanged=1),
    ]
    assert snapshot(together) == snapshot(one_by_one)
    assert "DHR: Adult A (revised)" in [row[1] for row in snapshot(together)]


def test_states_are_saved_with_the_items(storage: Storage) -> None:
    state = SourceState("board-a", status="ok", etag='"v1"', last_success_at=T0, items_found=2)
    counts = ingest(storage, sources()[0], now=T0, states=[state])
    assert counts == IngestCounts(new=2)
    assert storage.source_state("board-a") == state
    assert ingest(storage, [], now=T0, states=[replace(state, etag='"v2"')]) == IngestCounts()
    assert storage.source_state("board-a").etag == '"v2"'


def test_a_failing_batch_stores_nothing_of_the_call(storage: Storage) -> None:
    good = SourceItems(sources()[0], T0)
    naive = replace(make_item("board-b", "b-1"), published=T0.replace(tzinfo=None))
    state = SourceState("board-a", status="ok")
    with pytest.raises(StorageError):
        ingest_many(storage, [good, SourceItems([naive], T0)], states=[state])
    assert storage.item_count() == 0
    assert storage.source_state("board-a").status == "new"


def test_items_of_one_poll_that_match_each_other_are_one_item(storage: Storage) -> None:
    twice = [make_item("board-a", "a-1", url=STORY), make_item("board-b", "b-1", url=STORY)]
    (counts,) = ingest_many(storage, [SourceItems(twice, T0)])
    assert counts == IngestCounts(new=1, merged=1)
    (stored,) = storage.items()
    assert [s.source_id for s in stored.sightings] == ["board-a", "board-b"]


def test_write_commits_once_and_rolls_back_whole(storage: Storage) -> None:
    state = SourceState("board-a", status="ok")

    def fail(tx: Any) -> None:
        tx.save_source_states([state])
        raise StorageError("stop")

    with pytest.raises(StorageError):
        storage.write(fail)
    assert storage.source_state("board-a").status == "new"
    storage.write(lambda tx: tx.save_source_states([state]))
    assert storage.source_state("board-a").status == "ok"


def test_one_batch_sees_its_own_earlier_writes(storage: Storage) -> None:
    """Decisions applied together, each seeing what those before it stored (careful path)."""
    item = make_item("board-a", "a-1", url=STORY)
    edited = replace(item, title="DHR: Adult A (revised)", content_hash="revised")
    repost = make_item("board-b", "b-1", url=STORY)
    keys = (f"src:{item.source_id}:{item.source_key}", f"url:{item.canonical_url}")
    repost_keys = ("src:board-b:b-1", keys[1])
    decisions = [
        NewItem(item, keys),
        NewItem(edited, keys),  # the same sighting again: now an update
        NewItem(repost, repost_keys),  # a key the first one took: judged again
    ]

    def redecide(new: Item, candidates: Sequence[Candidate], *, keys: tuple[str, ...]) -> Decision:
        assert keys == next(d.keys for d in decisions if d.item is new)  # not computed again
        return AddSighting(candidates[0].item_id, new, keys, "canonical-url", True)

    (item_id,) = storage.apply(decisions, now=T0, redecide=redecide)
    (stored,) = storage.items()
    assert stored.id == item_id and stored.source_id == "board-b"
    assert [s.source_id for s in stored.sightings] == ["board-a", "board-b"]
    assert storage.audit(item_id)[-1][1:3] == ("add-sighting", "board-b:b-1 canonical-url")
    (candidate,) = storage.candidates([keys[1]])
    assert candidate.sighting_hashes[("board-a", "a-1")] == "revised"


def test_concurrent_groups_store_each_story_once(db_url: str) -> None:
    """Two writers of two sources each; each writer's first source carries the stories of the
    other's second (a lock cycle, were keys locked source by source)."""
    stories = [f"https://news.example.org/reviews/{n}" for n in range(6)]
    carried = {"board-a": stories[:3], "board-b": stories[3:]}
    carried |= {"board-c": stories[:3], "board-d": stories[3:]}
    polls = {
        source: [make_item(source, f"{source}-{n}", url=url) for n, url in enumerate(urls)]
        for source, urls in carried.items()
    }
    groups = [["board-a", "board-b"], ["board-d", "board-c"]]
    workers = [Storage.open(db_url) for _ in groups]
    barrier, failures = threading.Barrier(len(groups)), []

    def work(storage: Storage, sources: list[str]) -> None:
        barrier.wait()
        try:
            ingest_many(storage, [SourceItems(polls[s], T0) for s in sources])
        except StorageError as exc:  # pragma: no cover - reported below
            failures.append(exc)

    pairs = zip(workers, groups, strict=True)
    threads = [threading.Thread(target=work, args=pair) for pair in pairs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        stored = workers[0].items()
        assert len(stored) == len(stories)
        assert sorted(len(item.sightings) for item in stored) == [2] * len(stories)
    finally:
        for worker in workers:
            worker.close()


def table_rows(storage: Storage) -> dict[str, list[tuple[Any, ...]]]:
    with storage.engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")
            ]
            for table in ("items", "sightings", "item_keys", "audit")
        }


def test_bulk_and_careful_ways_store_a_new_item_alike(two_storages: list[Storage]) -> None:
    """bulk.create_items spells out the rows careful.create_item writes: they must not drift."""
    bulk, careful = two_storages
    item = make_item(
        "board-a",
        "a-1",
        url=STORY,
        event_date=T0 + timedelta(days=30),
        updated=T0 + timedelta(hours=2),
        source_categories=("Reviews", "Domestic Homicide Reviews"),
    )
    new = NewItem(item, (f"src:{item.source_id}:{item.source_key}", f"url:{STORY}", "title:x"))
    now = T0 + timedelta(days=1)

    def public_id() -> str:
        return "urn:uuid:00000000-0000-4000-8000-000000000001"

    bulk.write(lambda tx: create_items(Raw.of(tx.session), [new], now, public_id))
    careful.write(lambda tx: Careful(Raw.of(tx.session), now, {}, public_id).apply(new))
    assert table_rows(bulk) == table_rows(careful)
    assert len(table_rows(bulk)["item_keys"]) == 3
