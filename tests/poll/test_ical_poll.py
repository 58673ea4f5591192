"""A calendar source polled end to end: each event a training item; a broken calendar is an
error on the source that loses nothing stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aggregator.parsers import ical
from aggregator.store import Storage
from tests.support.e2e import SETTINGS, cli, db_url, stored_items
from tests.support.feedserver import FeedServer

CALENDAR = (
    Path(__file__).parents[1] / "fixtures" / "ical" / "the_events_calendar.ics"
).read_bytes()
ICS = "text/calendar; charset=utf-8"


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ical, "utcnow", lambda: datetime(2027, 1, 5, 12, tzinfo=UTC))


def test_events_become_training_items_and_a_broken_calendar_loses_nothing(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/events/", CALENDAR, ICS)
        (tmp_path / "sources.toml").write_text(f"""{SETTINGS}
[[source]]
id = "eastborough-events"
name = "Eastborough training calendar"
type = "ical"
url = "{server.url("/events/")}"
""")
        assert cli(tmp_path, "poll") == 0
        stored = {item.title: item for item in stored_items(tmp_path)}
        assert len(stored) == 3
        assert {item.category for item in stored.values()} == {"training"}
        course = stored["Domestic Abuse and Coercive Control – Multi-agency Training"]
        assert course.event_date == date(2027, 1, 14)
        assert course.url == (
            "https://www.eastboroughsafeguarding.org.uk/event/domestic-abuse-coercive-control-2027-01-14/"
        )
        assert "Thursday 14 January 2027, 09:30–12:30" in course.summary
        assert "In person: Eastborough Town Hall" in course.summary
        webinar = stored["Learning from Safeguarding Adults Reviews: self-neglect (webinar)"]
        assert "Online (Online via Zoom)" in webinar.summary

        server.set("/events/", CALENDAR[: len(CALENDAR) // 2], ICS)  # cut off mid-way
        cli(tmp_path, "poll")
    assert {item.title for item in stored_items(tmp_path)} == set(stored)
    with Storage.open(db_url(tmp_path)) as storage:
        state = storage.source_state("eastborough-events")
    assert state.status in ("error", "backoff")
    assert "invalid iCalendar" in (state.last_error or "")
