"""keylock: a transaction holds every lookup key it locked, once per key, until it ends."""

from __future__ import annotations

import uuid

import psycopg

from aggregator.store import Storage
from aggregator.store.ingest.keylock import advisory_key
from aggregator.store.ingest.transaction import Transaction
from tests.conftest import libpq_url


def held_elsewhere(url: str, keys: list[str]) -> list[bool]:
    """For each key, whether another session is refused its lock right now."""
    with psycopg.connect(libpq_url(url), autocommit=True) as other:
        refused = []
        for key in keys:
            row = other.execute("SELECT pg_try_advisory_lock(%s)", [advisory_key(key)]).fetchone()
            assert row is not None
            if row[0]:
                other.execute("SELECT pg_advisory_unlock(%s)", [advisory_key(key)])
            refused.append(not row[0])
        return refused


def test_keys_locked_in_rounds_are_all_held_until_the_commit(pg_url: str) -> None:
    a, b, c = (f"url:https://x.example.org/{uuid.uuid4()}" for _ in range(3))
    seen: list[list[bool]] = []

    def work(tx: Transaction) -> None:
        tx.lock_keys([a, b])
        tx.lock_keys([b, c])  # b is held already: only c is asked for
        seen.append(held_elsewhere(pg_url, [a, b, c]))

    with Storage.open(pg_url) as storage:
        storage.write(work)
        assert seen == [[True, True, True]]
        assert held_elsewhere(pg_url, [a, b, c]) == [False, False, False]
