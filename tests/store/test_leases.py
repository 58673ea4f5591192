"""Claiming due sources with leases, the publish lock, and no duplicate items across sources."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from aggregator.dedupe.decide import decide, lookup_keys
from aggregator.models import NewItem, SourceState
from aggregator.store import Storage
from tests.store.test_store import T0, make_item

IDS = ["a", "b", "c", "d"]


def test_unseen_sources_are_due_and_claimed_once(storage: Storage) -> None:
    first = storage.claim_due("w1", IDS, now=T0, ttl=60, limit=3)
    second = storage.claim_due("w2", IDS, now=T0, ttl=60, limit=3)
    assert (
        len(first) == 3 and set(first).isdisjoint(second) and set(first) | set(second) == set(IDS)
    )
    assert storage.claim_due("w3", IDS, now=T0, ttl=60, limit=10) == []


def test_only_due_pollable_sources_among_the_given_ids(storage: Storage) -> None:
    later = T0 + timedelta(minutes=5)
    storage.save_source_state(SourceState("a", status="ok", next_poll_at=later))
    storage.save_source_state(SourceState("b", status="ok", next_poll_at=T0))
    storage.save_source_state(SourceState("c", status="gone"))
    storage.save_source_state(SourceState("d", status="disabled"))
    storage.save_source_state(SourceState("unconfigured", status="ok"))
    assert storage.claim_due("w1", IDS, now=T0, ttl=600, limit=10) == ["b"]
    assert storage.claim_due("w2", IDS, now=later, ttl=60, limit=10) == ["a"]


def test_an_expired_lease_is_claimed_again_and_release_frees_only_own(storage: Storage) -> None:
    assert storage.claim_due("dead", ["a"], now=T0, ttl=2, limit=1) == ["a"]
    assert storage.claim_due("w2", ["a"], now=T0 + timedelta(seconds=1), ttl=2, limit=1) == []
    assert storage.claim_due("w2", ["a"], now=T0 + timedelta(seconds=3), ttl=2, limit=1) == ["a"]
    storage.release_sources("dead", ["a"])  # the dead worker no longer holds it
    assert storage.claim_due("w3", ["a"], now=T0 + timedelta(seconds=3), ttl=2, limit=1) == []
    storage.release_sources("w2", ["a"])
    assert storage.claim_due("w3", ["a"], now=T0 + timedelta(seconds=3), ttl=2, limit=1) == ["a"]


def test_saving_state_keeps_the_lease(storage: Storage) -> None:
    storage.claim_due("w1", ["a"], now=T0, ttl=60, limit=1)
    state = replace(storage.source_state("a"), status="ok", next_poll_at=T0)
    storage.save_source_state(state)
    assert storage.claim_due("w2", ["a"], now=T0, ttl=60, limit=1) == []


def test_concurrent_claimers_split_the_sources(db_url: str) -> None:
    ids = [f"s{n:02d}" for n in range(40)]
    workers = [Storage.open(db_url) for _ in range(4)]
    barrier, claimed = threading.Barrier(4), []

    def claim(storage: Storage, name: str) -> None:
        barrier.wait()
        while got := storage.claim_due(name, ids, now=T0, ttl=60, limit=3):
            claimed.extend(got)

    threads = [threading.Thread(target=claim, args=(w, f"w{n}")) for n, w in enumerate(workers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(claimed) == ids  # every source once, none twice
    finally:
        for worker in workers:
            worker.close()


def test_one_publisher_at_a_time(db_url: str) -> None:
    first, second = Storage.open(db_url), Storage.open(db_url)
    try:
        with first.publish_lock() as held:
            assert held
            with second.publish_lock() as also:
                assert not also
        with second.publish_lock() as held_after:
            assert held_after
    finally:
        first.close()
        second.close()


def stale_new_item(source: str) -> NewItem:
    """The same article seen by two sources, decided before either was stored."""
    url = "https://board.example.org/news/training-day/"
    item = make_item(source, f"{source}-post", url=url, title="Training day announced")
    decision = decide(item, [])
    assert isinstance(decision, NewItem)
    return decision


def test_a_stale_new_item_decision_joins_the_item_stored_meanwhile(storage: Storage) -> None:
    storage.apply([stale_new_item("board-a")], now=T0, redecide=decide)
    storage.apply([stale_new_item("gov-uk")], now=T0, redecide=decide)
    (item,) = storage.items()
    assert sorted(s.source_id for s in item.sightings) == ["board-a", "gov-uk"]


def test_concurrent_sources_storing_one_article_make_one_item(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite writers are serialised by the database lock")
    sources = [f"board-{n}" for n in range(4)]
    decisions = {source: stale_new_item(source) for source in sources}
    assert all(lookup_keys(d.item) == d.keys for d in decisions.values())
    workers = [Storage.open(db_url) for _ in sources]
    barrier = threading.Barrier(len(sources))

    def store(storage: Storage, source: str) -> None:
        barrier.wait()
        storage.apply([decisions[source]], now=T0, redecide=decide)

    threads = [
        threading.Thread(target=store, args=pair) for pair in zip(workers, sources, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        (item,) = workers[0].items()
        assert sorted(s.source_id for s in item.sightings) == sources
    finally:
        for worker in workers:
            worker.close()
