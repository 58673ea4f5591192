"""Several review types per item in the store, on SQLite and PostgreSQL: kept per sighting, a
curator's review types winning on later polls, the review-type filter seeing joint types, and the
migration finding them for rows stored before."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aggregator.errors import StorageError
from aggregator.models import UpdateSighting
from aggregator.store import Storage
from aggregator.store.engine import migrate
from tests.store.test_store import T0, keys_of, make_item, store_new

JOINT = "Joint DHR/SAR: Mr O – overview report"


def test_a_joint_review_is_each_of_its_types_and_found_by_each(storage: Storage) -> None:
    joint = store_new(storage, make_item(key="o", title=JOINT, joint_types=("sar",)))
    sar = store_new(storage, make_item(key="k", title="SAR Mr K", review_type="sar"))
    dhr = store_new(storage, make_item(key="b", title="DHR Mrs B"))
    assert storage.item(joint).review_types == ("dhr", "sar")
    assert {i.id for i in storage.items(review_types=["sar"])} == {joint, sar}
    assert {i.id for i in storage.items(review_types=["dhr"])} == {joint, dhr}
    assert storage.items(review_types=["cspr"]) == []


def test_a_curators_review_types_win_until_handed_back(storage: Storage) -> None:
    item = make_item(key="o", title=JOINT, joint_types=("sar",))
    item_id = store_new(storage, item)
    storage.set_item(item_id, review_type="sar", joint_types=["cspr", "sar"], actor="carol")
    assert storage.item(item_id).review_types == ("sar", "cspr")
    changed = replace(item, summary="Action plan added.", content_hash="v2")
    storage.apply([UpdateSighting(item_id, changed, keys_of(changed), True)], now=T0)
    assert storage.item(item_id).review_types == ("sar", "cspr")
    assert {i.id for i in storage.items(review_types=["cspr"])} == {item_id}
    assert storage.items(review_types=["dhr"]) == []
    storage.set_item(item_id, review_type="dhr", actor="carol")  # exactly a DHR
    assert storage.item(item_id).review_types == ("dhr",)
    assert storage.items(review_types=["sar"]) == []
    storage.set_item(item_id, review_type="", actor="dan")
    assert storage.item(item_id).review_types == ("dhr", "sar")
    assert [i.id for i in storage.items(review_types=["sar"])] == [item_id]
    details = [entry[2] for entry in storage.audit(item_id) if entry[1] == "set"]
    assert details == ["review_type=sar+cspr", "review_type=dhr", "review_type=(source)"]


def test_joint_types_need_a_known_review_type(storage: Storage) -> None:
    item_id = store_new(storage, make_item())
    with pytest.raises(StorageError, match="unknown review type"):
        storage.set_item(item_id, review_type="dhr", joint_types=["scr"])
    with pytest.raises(StorageError, match="need a review type"):
        storage.set_item(item_id, review_type="", joint_types=["sar"])
    assert storage.item(item_id).review_types == ("dhr",)


def test_a_news_item_has_no_review_types(storage: Storage) -> None:
    item_id = store_new(storage, make_item(category="news", review_type=None, joint_types=()))
    assert storage.item(item_id).review_types == ()


def test_the_migration_finds_the_joint_types_of_stored_reviews(storage: Storage) -> None:
    joint = store_new(storage, make_item(key="o", title=JOINT))
    briefing = make_item(key="7mb", title="7MB: self-neglect", review_type="learning")
    learning = store_new(storage, replace(briefing, summary="Draws on SAR Mr D and SAR Mrs E."))
    news = make_item(key="n", title="Call for DHR and SAR chairs", category="news")
    other = store_new(storage, replace(news, review_type=None))
    assert storage.item(joint).review_types == ("dhr",)
    migrate(storage.engine, "0011", downgrade=True)
    migrate(storage.engine)
    assert storage.item(joint).review_types == ("dhr", "sar")
    assert storage.item(learning).review_types == ("learning", "sar")
    assert storage.item(other).review_types == ()
