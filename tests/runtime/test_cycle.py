"""The one poll-then-publish cycle publishes what time changed too: an event that is over leaves
the block on the next cycle after midnight, though nothing was polled or stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aggregator.config.types import Config, Settings
from aggregator.models import NewItem
from aggregator.runtime import cycle as cycle_module
from aggregator.runtime.cycle import Cycle
from aggregator.store import Storage
from tests.store.test_store import keys_of, make_item


def test_an_event_that_is_over_leaves_the_block_with_no_poll_and_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make_item(
        "board-a",
        "course-1",
        title="Domestic abuse and coercive control: a course for practitioners",
        category="training",
        review_type=None,
        event_date=date(2027, 1, 14),
        published=datetime(2027, 1, 2, 9, 0, tzinfo=UTC),
        updated=datetime(2027, 1, 2, 9, 0, tzinfo=UTC),
    )
    feeds = tmp_path / "feeds"
    with Storage.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as storage:
        storage.apply([NewItem(event, keys_of(event))], now=event.published)
        cycle = Cycle.fixed(storage, Config("sources.toml", Settings()), feeds)
        try:
            for now, shown in (
                (datetime(2027, 1, 14, 18, 0, tzinfo=UTC), True),  # the evening of the course
                (datetime(2027, 1, 15, 6, 0, tzinfo=UTC), False),  # the morning after
            ):
                monkeypatch.setattr(cycle_module, "utcnow", lambda now=now: now)
                assert cycle.poll_and_publish([]) == []
                block = (feeds / "latest.html").read_text()
                assert ("coercive control" in block) is shown
                assert "coercive control" in (feeds / "training.atom").read_text()
        finally:
            cycle.poller.close()
