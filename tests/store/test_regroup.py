"""A later item that shows two stored items to be one story brings them together in the store;
what a curator merged stays merged. Through ingest, as polling stores items, on both backends."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.orm import Session

from aggregator.dedupe.decide import lookup_keys, with_signature
from aggregator.models import Item
from aggregator.store import Storage
from aggregator.store.ingest.run import SourceItems, ingest_many
from aggregator.store.schema import ItemRow
from tests.store.test_store import T0, make_item

TEXT = (
    "Our office closes at noon on 24 December and reopens on 2 January. If a child is at risk "
    "over the holiday, call the children's social care out of hours team on the usual number."
)
URL = "https://www.kscmp.org.uk/news/christmas-opening-hours/"


def notice(source: str, key: str, **fields: object) -> Item:
    values: dict[str, object] = {"category": "news", "review_type": None, "content_html": None}
    values |= {"title": "Christmas opening hours", "summary": TEXT} | fields
    values["content_hash"] = hashlib.sha256(repr(values).encode()).hexdigest()
    return with_signature(make_item(source, key, **values))


def store(storage: Storage, *items: Item) -> None:
    for item in items:  # one poll each
        ingest_many(storage, [SourceItems([item], T0, [lookup_keys(item)])])


def groups(storage: Storage) -> list[list[str]]:
    return sorted(sorted(s.source_id for s in i.sightings) for i in storage.items())


def test_a_later_item_brings_two_stored_items_together(storage: Storage) -> None:
    quoted = notice(
        "regional-bulletin",
        "b-1",
        title="Kent SCP: Christmas opening hours",
        summary="From our partners in Kent: " + TEXT,
        published=T0 + timedelta(days=1),
    )
    tracked = notice(
        "sab-network-bulletin",
        "n-1",
        title="Christmas opening hours | Kent SCP",
        summary="",
        url=URL + "?utm_source=newsletter",
        canonical_url=URL.rstrip("/"),
        published=T0 + timedelta(days=2),
    )
    store(storage, quoted, tracked)
    first, second = (item.id for item in storage.items())
    assert len(groups(storage)) == 2  # neither says anything of the other
    store(storage, notice("kent-scp", "k-1", url=URL, canonical_url=URL.rstrip("/")))
    (item,) = storage.items()
    assert groups(storage) == [["kent-scp", "regional-bulletin", "sab-network-bulletin"]]
    assert item.id == min(first, second)  # a published id stays where its story is
    with Session(storage.engine) as session:
        gone = session.get(ItemRow, max(first, second))
        assert gone is not None and gone.deleted and gone.merged_into == item.id
    other_keys = lookup_keys(quoted if item.id != first else tracked)
    assert [c.item_id for c in storage.candidates(other_keys)] == [item.id]


def test_what_a_curator_merged_stays_merged(storage: Storage) -> None:
    kent = notice("kent-scp", "k-1")
    leeds = notice(
        "leeds-sab",
        "l-1",
        summary="The board's business unit is closed from 25 December until 1 January. "
        "Report concerns about an adult to Adult Social Care on the usual number.",
        url="https://www.leedssab.org.uk/news/christmas/",
        published=T0 + timedelta(days=1),
    )
    store(storage, kent, leeds)
    keep, other = sorted(item.id for item in storage.items())
    storage.merge_items(keep, other)  # a curator's call, though the two contradict each other
    repost = notice(
        "regional-bulletin",
        "b-1",
        title="Kent SCP: Christmas opening hours",
        summary="From our partners in Kent: " + TEXT,
        published=T0 + timedelta(days=2),
    )
    store(storage, repost)
    assert ["kent-scp", "leeds-sab"] in groups(storage)  # never regrouped
