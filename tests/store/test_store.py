"""The store on SQLite and PostgreSQL: migrations, ingest decisions, reads, curation."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from aggregator.errors import NotFound, StorageError
from aggregator.models import AddSighting, Item, NewItem, SourceState, UpdateSighting
from aggregator.store import Storage
from aggregator.store.engine import SCHEMA_HEAD, alembic_config, migrate
from aggregator.store.schema import Base

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
TABLES = {"sources", "items", "sightings", "item_keys", "audit"}


def make_item(source: str = "board-a", key: str = "dhr-adult-a", **fields: Any) -> Item:
    """An Item as normalise would hand it on; `fields` override the realistic defaults."""
    url = fields.pop("url", f"https://{source}.example.org/reviews/{key}/")
    values: dict[str, Any] = {
        "title": f"Domestic Homicide Review: {key.replace('-', ' ').title()}",
        "url": url,
        "canonical_url": url.rstrip("/"),
        "summary": "The review panel has published its overview report and executive summary.",
        "content_html": "<p>The review panel has published its overview report.</p>",
        "published": T0,
        "updated": T0,
        "category": "reviews",
        "review_type": "dhr",
        "author": "Community Safety Partnership",
        "source_categories": ("Domestic Homicide Reviews",),
        "event_date": None,
    }
    values.update(fields)
    values.setdefault("content_hash", f"{values['title']}|{values['summary']}")
    return Item(source_id=source, source_key=key, **values)


def keys_of(item: Item) -> tuple[str, ...]:
    return (f"src:{item.source_id}:{item.source_key}", f"url:{item.canonical_url}")


def store_new(storage: Storage, item: Item, now: datetime = T0) -> int:
    (item_id,) = storage.apply([NewItem(item, keys_of(item))], now=now)
    return item_id


def add_to(storage: Storage, item_id: int, item: Item, *, promote: bool = False) -> None:
    decision = AddSighting(item_id, item, keys_of(item), "canonical-url", promote)
    storage.apply([decision], now=T0 + timedelta(hours=1))


# --- migrations ---


def test_migrations_build_the_schema_from_empty_and_round_trip(db_url: str) -> None:
    storage = Storage.open(db_url)
    try:
        assert set(inspect(storage.engine).get_table_names()) >= TABLES
        migrate(storage.engine, "base", downgrade=True)
        assert not TABLES & set(inspect(storage.engine).get_table_names())
        migrate(storage.engine)
        assert set(inspect(storage.engine).get_table_names()) >= TABLES
        store_new(storage, make_item())
    finally:
        storage.close()
    reopened = Storage.open(db_url)  # a second upgrade is a no-op
    try:
        assert reopened.item_count() == 1
    finally:
        reopened.close()


def test_the_schema_head_constant_is_alembics_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == SCHEMA_HEAD


def alembic_loaded_after_open(url: str) -> bool:
    code = (
        "import sys; from aggregator.store import Storage; "
        f"Storage.open({url!r}).close(); print('alembic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip() == "True"


def test_opening_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert alembic_loaded_after_open(url)  # a new database is migrated: alembic runs
    assert not alembic_loaded_after_open(url)  # now current: ~11 MB of alembic stays unloaded


def test_migrations_match_the_models(storage: Storage) -> None:
    with storage.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    storage = Storage.open(f"sqlite:///{tmp_path / 'new' / 'folder' / 'a.sqlite'}")
    try:
        with storage.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        storage.close()


# --- ingest ---


def test_new_item_is_stored_with_its_sighting_and_keys(storage: Storage) -> None:
    item = make_item(published=datetime(2024, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))))
    item_id = store_new(storage, item)
    stored = storage.item(item_id)
    assert stored.public_id.startswith("urn:uuid:")
    assert (stored.title, stored.url, stored.source_id) == (item.title, item.url, "board-a")
    assert stored.published == T0 and stored.published.tzinfo == UTC
    assert [(s.source_id, s.url, s.first_seen) for s in stored.sightings] == [
        ("board-a", item.url, T0)
    ]
    (candidate,) = storage.candidates([f"url:{item.canonical_url}", "url:unrelated"])
    assert candidate.item_id == item_id and not candidate.deleted
    assert candidate.sighting_hashes == {("board-a", item.source_key): item.content_hash}
    assert candidate.canonical_urls == (item.canonical_url,)
    assert storage.candidates(["url:unrelated"]) == []


def test_update_sighting_copies_changed_content_only(storage: Storage) -> None:
    item = make_item()
    item_id = store_new(storage, item)
    public_id = storage.item(item_id).public_id
    same = UpdateSighting(item_id, item, keys_of(item), content_changed=False)
    assert storage.apply([same], now=T0 + timedelta(hours=1)) == []
    edited = replace(item, title="DHR: Adult A (revised)", updated=T0 + timedelta(days=2))
    edited = replace(edited, content_hash="revised")
    changed = UpdateSighting(item_id, edited, keys_of(edited), content_changed=True)
    assert storage.apply([changed], now=T0 + timedelta(days=2)) == [item_id]
    stored = storage.item(item_id)
    assert (stored.title, stored.updated) == ("DHR: Adult A (revised)", T0 + timedelta(days=2))
    assert stored.public_id == public_id and storage.item_count() == 1


def test_a_change_without_a_newer_date_still_moves_updated(storage: Storage) -> None:
    item = make_item()
    item_id = store_new(storage, item)
    retitled = replace(item, title="DHR: Adult A (corrected)", content_hash="corrected")
    seen_at = T0 + timedelta(days=3)
    decision = UpdateSighting(item_id, retitled, keys_of(retitled), content_changed=True)
    storage.apply([decision], now=seen_at)
    stored = storage.item(item_id)
    assert (stored.title, stored.updated) == ("DHR: Adult A (corrected)", seen_at)
    assert stored.published == item.published


def test_add_sighting_switches_representative_but_keeps_public_id(storage: Storage) -> None:
    item_id = store_new(storage, make_item())
    public_id = storage.item(item_id).public_id
    add_to(storage, item_id, make_item("board-b", "p-1", title="Quiet repost"), promote=False)
    assert storage.item(item_id).title == make_item().title
    official = make_item("gov", "official", title="DHR Adult A: official report")
    add_to(storage, item_id, official, promote=True)
    stored = storage.item(item_id)
    assert (stored.title, stored.source_id, stored.public_id) == (official.title, "gov", public_id)
    assert [s.source_id for s in stored.sightings] == ["board-a", "board-b", "gov"]
    actions = [(action, detail) for _, action, detail, actor in storage.audit(item_id)]
    assert ("add-sighting", "gov:official canonical-url") in actions
    (candidate,) = storage.candidates(keys_of(official))
    assert candidate.representative_source == "gov" and len(candidate.source_keys) == 3


def test_tombstone_is_never_resurrected(storage: Storage) -> None:
    item = make_item()
    item_id = store_new(storage, item)
    storage.delete_item(item_id, actor="alice")
    edited = replace(item, title="Edited after deletion", content_hash="new")
    storage.apply([UpdateSighting(item_id, edited, keys_of(edited), True)], now=T0)
    storage.apply([NewItem(edited, keys_of(edited))], now=T0)  # a stale NewItem, too
    assert storage.items(include_hidden=True) == [] and storage.item_count() == 0
    with pytest.raises(NotFound):
        storage.item(item_id)
    (candidate,) = storage.candidates(keys_of(item))
    assert candidate.deleted and candidate.item_id == item_id
    assert storage.audit(item_id)[0][1:] == ("delete", item.title, "alice")


# --- curation ---


def test_merge_moves_sightings_and_keys_into_the_kept_item(storage: Storage) -> None:
    keep_id = store_new(storage, make_item())
    other = make_item("board-b", "elsewhere", url="https://b.example.org/news/adult-a")
    other_id = store_new(storage, other)
    public_id = storage.item(keep_id).public_id
    storage.merge_items(keep_id, other_id, actor="bob")
    kept = storage.item(keep_id)
    assert kept.public_id == public_id and len(kept.sightings) == 2
    assert [i.id for i in storage.items()] == [keep_id]
    assert [c.item_id for c in storage.candidates(keys_of(other))] == [keep_id]
    assert storage.audit(other_id)[-1][1:] == (
        "merged-into",
        f"item {keep_id} ({public_id})",
        "bob",
    )
    with pytest.raises(StorageError):
        storage.merge_items(keep_id, keep_id)


def test_split_sticks_on_later_polls(storage: Storage) -> None:
    item_id = store_new(storage, make_item())
    other = make_item("board-b", "sar-adult-b", title="SAR: Adult B", review_type="sar")
    add_to(storage, item_id, other)
    (new_id,) = storage.split_item(item_id)
    split_off = storage.item(new_id)
    assert (split_off.title, split_off.review_type, split_off.source_id) == (
        "SAR: Adult B",
        "sar",
        "board-b",
    )
    assert split_off.public_id != storage.item(item_id).public_id
    assert [s.source_id for s in storage.item(item_id).sightings] == ["board-a"]
    assert [c.item_id for c in storage.candidates([keys_of(other)[0]])] == [new_id]
    edited = replace(other, summary="Updated summary", content_hash="v2")
    stale = [
        UpdateSighting(item_id, edited, keys_of(edited), True),
        AddSighting(item_id, edited, keys_of(edited), "near-dup 0.93", True),
    ]
    assert storage.apply(stale, now=T0 + timedelta(days=1)) == [new_id]
    assert storage.item(new_id).summary == "Updated summary"
    assert storage.item(item_id).title == make_item().title
    assert storage.item_count() == 2 and storage.split_item(new_id) == []


def test_set_item_hides_pins_and_overrides(storage: Storage) -> None:
    item_id = store_new(storage, make_item(category="news", review_type=None))
    storage.set_item(item_id, hidden=True, actor="carol")
    assert storage.items() == [] and len(storage.items(include_hidden=True)) == 1
    storage.set_item(item_id, hidden=False, review_type="cspr")
    stored = storage.item(item_id)
    assert (stored.category, stored.review_type) == ("reviews", "cspr")
    assert [i.id for i in storage.items(review_types=["cspr"])] == [item_id]
    storage.set_item(item_id, category="", review_type="")
    assert (storage.item(item_id).category, storage.item(item_id).review_type) == ("news", None)
    with pytest.raises(StorageError):
        storage.set_item(item_id, category="gossip")
    assert [a[3] for a in storage.audit(item_id)] == ["carol", "cli", "cli"]


# --- reads ---


def test_items_filters_and_order(storage: Storage) -> None:
    old = store_new(storage, make_item("a", "old", title="SAR: 50% of cases", review_type="sar"))
    mid = store_new(storage, make_item("b", "mid", published=T0 + timedelta(days=1)))
    tie = store_new(storage, make_item("c", "tie", published=T0 + timedelta(days=1)))
    course = make_item("d", "course", title="Training course", category="training")
    news = store_new(storage, replace(course, review_type=None, published=T0 + timedelta(days=3)))
    add_to(storage, old, make_item("d", "repost"))
    assert [i.id for i in storage.items()] == [news, tie, mid, old]
    storage.set_item(old, pinned=True)
    assert [i.id for i in storage.items(limit=2)] == [old, news]
    assert [i.id for i in storage.items(categories=["reviews"])] == [old, tie, mid]
    assert [i.id for i in storage.items(review_types=["sar"])] == [old]
    assert [i.id for i in storage.items(sources=["d"])] == [old, news]
    assert [i.id for i in storage.items(search="50%")] == [old]
    assert [i.id for i in storage.items(search="TRAINING")] == [news]
    assert [i.id for i in storage.items(search="no such words")] == []
    assert [i.id for i in storage.items(since=T0 + timedelta(days=2))] == [news]
    assert [len(i.sightings) for i in storage.items()] == [2, 1, 1, 1]
    with pytest.raises(NotFound):
        storage.item(9999)


def test_source_state_round_trip(storage: Storage) -> None:
    assert storage.source_state("board-a") == SourceState("board-a")
    state = SourceState(
        "board-a",
        url="https://board-a.example.org/feed/",
        etag='W/"5f1"',
        last_modified="Fri, 01 Mar 2024 09:00:00 GMT",
        body_hash="ab12",
        status="ok",
        last_polled_at=T0,
        last_success_at=T0,
        error_count=0,
        next_poll_at=T0 + timedelta(hours=1),
        items_found=12,
    )
    storage.save_source_state(state)
    failed = replace(state, status="error", last_error="HTTP 503", error_count=1)
    storage.save_source_state(failed)
    assert storage.source_state("board-a") == failed
    assert storage.source_states() == [failed]


def test_source_leases_let_one_worker_poll_a_source(storage: Storage) -> None:
    assert storage.claim_source("board-a", "worker-1", now=T0, ttl=60)
    assert storage.source_state("board-a") == SourceState("board-a")
    assert not storage.claim_source("board-a", "worker-2", now=T0 + timedelta(seconds=30), ttl=60)
    assert storage.claim_source("board-a", "worker-1", now=T0 + timedelta(seconds=30), ttl=60)
    later = T0 + timedelta(seconds=91)
    assert storage.claim_source("board-a", "worker-2", now=later, ttl=60)  # worker-1's expired
    storage.save_source_state(SourceState("board-a", status="ok"))  # leaves the lease alone
    storage.release_source("board-a", "worker-1")  # not the holder: no effect
    assert not storage.claim_source("board-a", "worker-1", now=later, ttl=60)
    storage.release_source("board-a", "worker-2")
    assert storage.claim_source("board-a", "worker-1", now=later, ttl=60)
    assert storage.source_state("board-a").status == "ok"


def test_event_dates_and_source_categories_survive_a_split(storage: Storage) -> None:
    item_id = store_new(storage, make_item(category="training", review_type=None))
    course = make_item("b", "c", category="training", review_type=None, event_date=date(2024, 5, 2))
    add_to(storage, item_id, course)
    (new_id,) = storage.split_item(item_id)
    assert storage.item(new_id).event_date == date(2024, 5, 2)


# --- concurrency and errors ---


def test_concurrent_writers_store_one_item_per_sighting(db_url: str) -> None:
    items = [make_item("board-a", f"key-{n}") for n in range(5)]
    workers = [Storage.open(db_url) for _ in range(2)]
    barrier, failures = threading.Barrier(2), []

    def work(storage: Storage) -> None:
        barrier.wait()
        try:
            storage.apply([NewItem(i, keys_of(i)) for i in items], now=T0)
        except StorageError as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        stored = workers[0].items()
        assert len(stored) == 5 and all(len(i.sightings) == 1 for i in stored)
    finally:
        for worker in workers:
            worker.close()


def test_concurrent_claims_grant_one_lease(db_url: str) -> None:
    workers = [Storage.open(db_url) for _ in range(4)]
    barrier, granted = threading.Barrier(4), []

    def claim(storage: Storage, name: str) -> None:
        barrier.wait()
        if storage.claim_source("board-a", name, now=T0, ttl=60):
            granted.append(name)

    threads = [threading.Thread(target=claim, args=(w, f"w{n}")) for n, w in enumerate(workers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(granted) == 1
    finally:
        for worker in workers:
            worker.close()


def test_driver_errors_surface_as_storage_error(db_url: str) -> None:
    unmigrated = Storage.open(db_url, migrate=False)
    try:
        with pytest.raises(StorageError) as raised:
            unmigrated.items()
        assert isinstance(raised.value.__cause__, SQLAlchemyError)
    finally:
        unmigrated.close()
    storage = Storage.open(db_url)
    try:
        with pytest.raises(StorageError):
            store_new(storage, make_item(), now=datetime(2024, 3, 1))  # naive: refused
    finally:
        storage.close()


def test_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        Storage.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StorageError):
        Storage.open(f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")


def test_psycopg_errors_are_storage_errors_and_sqlite_never_loads_psycopg(tmp_path: Path) -> None:
    import psycopg

    from aggregator.store.engine import storage_errors

    with pytest.raises(StorageError, match="reading failed") as raised, storage_errors("reading"):
        raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
    assert isinstance(raised.value.__cause__, psycopg.Error)
    with pytest.raises(KeyError), storage_errors("reading"):  # a bug, not a storage problem
        raise KeyError("bug")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    script = (
        "import sys; from aggregator.store import Storage; "
        f"Storage.open({url!r}).close(); print('psycopg' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # ~10 MB less in every SQLite process
