"""Candidates are bounded per key and come with each sighting's stored signature."""

from __future__ import annotations

from dataclasses import replace

from aggregator.dedupe.decide import BLOCK_LIMIT, lookup_keys, with_signature
from aggregator.dedupe.signature import loads, signature
from aggregator.models import NewItem
from aggregator.store import Storage
from tests.store.test_store import T0, make_item


def store(storage: Storage, *items_and_keys: tuple[object, tuple[str, ...]]) -> None:
    storage.apply([NewItem(i, k) for i, k in items_and_keys], now=T0)  # type: ignore[arg-type]


def test_a_blocking_key_held_by_more_than_the_limit_stops_blocking(storage: Storage) -> None:
    many = [make_item(f"board-{n}", f"notice-{n}") for n in range(BLOCK_LIMIT + 1)]
    store(storage, *((item, (f"src:{item.source_id}:x", "title:common")) for item in many))
    assert storage.candidates(["title:common"]) == []  # too common to say anything
    few = many[:BLOCK_LIMIT]
    store(storage, *((item, ("title:rarer",)) for item in few))
    found = storage.candidates(["title:rarer"])
    assert len(found) == BLOCK_LIMIT


def test_an_identity_key_is_read_however_common_but_only_its_newest_holders(
    storage: Storage,
) -> None:
    many = [make_item(f"board-{n}", f"notice-{n}") for n in range(BLOCK_LIMIT + 5)]
    store(storage, *((item, ("url:https://shared.example.org/page",)) for item in many))
    found = storage.candidates(["url:https://shared.example.org/page"])
    assert len(found) == BLOCK_LIMIT
    assert min(c.item_id for c in found) > 5  # the newest


def test_each_sighting_keeps_the_signature_it_was_judged_by(storage: Storage) -> None:
    item = with_signature(make_item("board-a", "sar-adult-z", title="SAR – Adult Z"))
    store(storage, (item, lookup_keys(item)))
    (candidate,) = storage.candidates(lookup_keys(item)[:2])
    (sighting,) = candidate.sightings
    assert sighting.signature == item.signature
    assert loads(sighting.signature or "") == signature(item)
    assert sighting.title == ""  # its text is not read again


def test_a_sighting_stored_without_a_signature_is_read_with_its_text(storage: Storage) -> None:
    item = replace(make_item("board-a", "older"), signature=None)
    store(storage, (item, ("url:older",)))
    (candidate,) = storage.candidates(["url:older"])
    assert candidate.sightings[0].signature is None
    assert (candidate.sightings[0].title, candidate.sightings[0].summary) == (
        item.title,
        item.summary,
    )
