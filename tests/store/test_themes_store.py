"""Themes in the store, on SQLite and PostgreSQL: kept per sighting, shown from the
representative, re-themed without an update, a curator's choice winning on later polls, and
existing rows given themes by the migration."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from aggregator.errors import StorageError
from aggregator.models import Item, UpdateSighting
from aggregator.store import Storage
from aggregator.store.engine import migrate
from tests.store.test_store import T0, add_to, keys_of, make_item, store_new

CUCKOOING = ("exploitation", "criminal-exploitation", "cuckooing")


def poll_again(storage: Storage, item_id: int, item: Item, hours: int = 2) -> list[int]:
    decision = UpdateSighting(item_id, item, keys_of(item), content_changed=False)
    return storage.apply([decision], now=T0 + timedelta(hours=hours))


def test_a_new_item_keeps_its_themes(storage: Storage) -> None:
    item_id = store_new(storage, make_item(themes=("domestic-abuse",)))
    assert storage.item(item_id).themes == ("domestic-abuse",)
    assert storage.items()[0].themes == ("domestic-abuse",)


def test_the_representative_sighting_decides_the_themes(storage: Storage) -> None:
    item_id = store_new(storage, make_item("a", "k", themes=("neglect",)))
    add_to(storage, item_id, make_item("b", "k", themes=CUCKOOING))
    assert storage.item(item_id).themes == ("neglect",)
    add_to(storage, item_id, make_item("c", "k", themes=("self-neglect",)), promote=True)
    assert storage.item(item_id).themes == ("self-neglect",)


def test_new_themes_on_the_same_content_retheme_without_an_update(storage: Storage) -> None:
    item = make_item()
    item_id = store_new(storage, item)
    assert storage.item(item_id).themes == ()
    assert poll_again(storage, item_id, replace(item, themes=("domestic-abuse",))) == [item_id]
    stored = storage.item(item_id)
    assert stored.themes == ("domestic-abuse",)
    assert stored.updated == T0  # not shown as an update
    assert poll_again(storage, item_id, replace(item, themes=("domestic-abuse",)), 3) == []


def test_a_curators_themes_win_over_later_polls_until_set_back(storage: Storage) -> None:
    item = make_item(themes=("domestic-abuse",))
    item_id = store_new(storage, item)
    storage.set_item(item_id, themes=["coercive-control", "cuckooing"], actor="carol")
    expected = ("domestic-abuse", "coercive-control", *CUCKOOING)
    assert storage.item(item_id).themes == expected
    changed = replace(item, summary="Updated overview report.", content_hash="v2", themes=())
    poll_again(storage, item_id, changed)
    assert storage.item(item_id).themes == expected
    assert storage.item(item_id).summary == "Updated overview report."
    storage.set_item(item_id, themes=[], actor="carol")
    assert storage.item(item_id).themes == ()
    storage.set_item(item_id, themes="auto", actor="dan")
    assert storage.item(item_id).themes == ()  # the latest poll found none
    details = [(entry[2], entry[3]) for entry in storage.audit(item_id) if entry[1] == "set"]
    assert details == [
        ("themes=domestic-abuse,coercive-control,exploitation,criminal-exploitation,cuckooing",
         "carol"),
        ("themes=(none)", "carol"),
        ("themes=(source)", "dan"),
    ]  # fmt: skip


def test_an_unknown_theme_is_refused(storage: Storage) -> None:
    item_id = store_new(storage, make_item())
    with pytest.raises(StorageError, match="unknown theme 'drugs'"):
        storage.set_item(item_id, themes=["neglect", "drugs"])
    assert storage.item(item_id).themes == ()


def test_the_migration_gives_existing_rows_the_heuristics_themes(storage: Storage) -> None:
    briefing = make_item(title="7MB: self-neglect and hoarding", source_categories=("Learning",))
    item_id = store_new(storage, briefing)
    dhr = store_new(storage, make_item(key="k3", title="DHR Chloe"))  # its category: DHRs
    other = store_new(storage, make_item(key="k2", title="Newsletter", source_categories=()))
    migrate(storage.engine, "0008", downgrade=True)
    migrate(storage.engine)
    assert storage.item(item_id).themes == ("self-neglect", "hoarding")
    assert storage.item(dhr).themes == ("domestic-abuse",)
    assert storage.item(other).themes == ()
    with storage.engine.connect() as connection:
        rows = connection.execute(text("SELECT themes FROM sightings ORDER BY id")).all()
    stored = [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in rows]
    assert stored == [["self-neglect", "hoarding"], ["domestic-abuse"], []]


def test_items_filter_on_the_themes_shown(storage: Storage) -> None:
    cuckooing = ("exploitation", "criminal-exploitation", "cuckooing")
    first = store_new(storage, make_item(key="a", themes=cuckooing))
    second = store_new(storage, make_item(key="b", themes=("domestic-abuse",)))
    third = store_new(storage, make_item(key="c", themes=("criminal-exploitation-x",)))
    assert [i.id for i in storage.items(themes=["exploitation"])] == [first]
    assert [i.id for i in storage.items(themes=["criminal-exploitation"])] == [first]
    storage.set_item(second, themes=["county-lines"])
    storage.set_item(first, themes=[])
    found = {i.id for i in storage.items(themes=["exploitation", "domestic-abuse"])}
    assert found == {second}
    assert third not in {i.id for i in storage.items(themes=["criminal-exploitation"])}
    storage.set_item(first, themes="auto")  # no curator's choice again: its own themes count
    assert [i.id for i in storage.items(themes=["cuckooing"])] == [first]
