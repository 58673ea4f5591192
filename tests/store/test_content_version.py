"""The content version: every change to what is published raises it, in the change's own
transaction; polls that store nothing and reads leave it alone."""

from __future__ import annotations

from datetime import timedelta

from aggregator.models import SourceState
from aggregator.store import Storage
from aggregator.store.ingest.run import ingest
from tests.store.test_store import T0, make_item, store_new


def test_every_change_to_what_is_published_raises_the_version(storage: Storage) -> None:
    seen = [storage.content_version()]

    def raised() -> bool:
        seen.append(storage.content_version())
        return seen[-1] > seen[-2]

    first = store_new(storage, make_item("board-a", "dhr-1"))
    assert raised()
    second = store_new(
        storage, make_item("board-b", "sar-2", title="SAR: Adult Q", url="https://b/q")
    )
    assert raised()
    storage.set_item(first, pinned=True)
    assert raised()
    storage.merge_items(first, second)
    assert raised()
    storage.split_item(first)
    assert raised()
    storage.delete_item(first)
    assert raised()


def test_polls_that_store_nothing_leave_it_alone(storage: Storage) -> None:
    item = make_item("board-a", "dhr-1")
    ingest(storage, [item], now=T0)
    version = storage.content_version()
    state = SourceState("board-a", etag='"v1"', last_success_at=T0)
    counts = ingest(storage, [item], now=T0 + timedelta(hours=1), states=[state])
    assert counts.unchanged == 1
    storage.save_source_state(state)
    storage.items()
    assert storage.content_version() == version


def test_retention_raises_it_only_when_it_prunes(storage: Storage) -> None:
    store_new(storage, make_item("board-a", "old", published=T0 - timedelta(days=90)))
    version = storage.content_version()
    assert storage.prune("board-a", max_age=None, max_items=5, now=T0) == 0
    assert storage.content_version() == version
    assert storage.prune("board-a", max_age=30 * 86400.0, max_items=None, now=T0) == 1
    assert storage.content_version() > version
