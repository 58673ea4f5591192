"""No duplicate items from concurrent writers: lock the lookup keys, then decide again.

Dedupe decides from candidates read before the write transaction, so two workers storing
the same story from two sources can both decide "new item". Inside the write transaction,
`lock_keys` takes a PostgreSQL transaction-scoped advisory lock per lookup key of every
would-be new item (sorted, so lockers never deadlock; ingest takes all its items' keys in one
round first, so its later rounds wait for nothing); SQLite's write transaction already
excludes other writers. Then `recheck` looks at the keys again: if an item now shares one,
the decision is made afresh against the current candidates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from aggregator.models import Candidate, Decision, Item, NewItem
from aggregator.store.ingest.batch import key_holders, read_candidates
from aggregator.store.rawsql import Raw


class Redecide(Protocol):
    """dedupe.decide, as the caller configured it: judges an item (with its lookup keys)."""

    def __call__(
        self, item: Item, candidates: Sequence[Candidate], *, keys: tuple[str, ...]
    ) -> Decision: ...


_LOCK_KEYS = "SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%b::bigint[]) AS k"


def advisory_key(key: str) -> int:
    """A stable signed 64-bit number for a lookup key (collisions only serialise more)."""
    digest = hashlib.blake2b(b"item-key:" + key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def new_item_keys(decisions: Iterable[Decision]) -> list[str]:
    keys: set[str] = set()
    for decision in decisions:
        if isinstance(decision, NewItem):
            keys.update(decision.keys)
    return sorted(keys)


def lock_keys(session: Session, keys: Sequence[str]) -> None:
    """Hold every key until the transaction ends (PostgreSQL; a no-op on SQLite)."""
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    raw = Raw.of(session)
    wanted = set(keys).difference(raw.locked_keys)  # a lock held already is held to the end
    if wanted:
        raw.rows(_LOCK_KEYS, [sorted({advisory_key(key) for key in wanted})])
        raw.locked_keys.update(wanted)


def recheck(session: Session, decision: Decision, redecide: Redecide | None) -> Decision:
    """A new item whose keys an item it was not judged against holds now (a concurrent writer
    stored it meanwhile) is judged again on fresh candidates."""
    if not isinstance(decision, NewItem) or redecide is None:
        return decision
    raw = Raw.of(session)
    holders = set().union(*key_holders(raw, decision.keys).values())
    if holders <= decision.seen:
        return decision
    keys = tuple(decision.keys)
    return redecide(decision.item, list(read_candidates(raw, sorted(holders)).values()), keys=keys)
