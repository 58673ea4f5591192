"""Training and events: the block lists upcoming events soonest first (an event that is over
leaves it, and the block changes on its own the day after), and every feed that can hold
training is also an iCalendar file whose event UIDs never change."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import icalendar

from aggregator.config.types import DEFAULT_FEEDS, Config, Settings
from aggregator.models import StoredItem
from aggregator.publish import publish
from aggregator.publish.block import block_columns
from aggregator.web import create_app
from aggregator.web.server import make_server
from tests.fixtures.publish.support import FakeReader

SITE = "https://feeds.example-partnership.org.uk"
CONFIG = Config("sources.toml", Settings(site_url=SITE, block_items=3))
TODAY = date(2027, 1, 12)  # a Tuesday
NOW = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)


def training(item_id: int, title: str, event: date | None, published_days_ago: int) -> StoredItem:
    published = NOW - timedelta(days=published_days_ago)
    return StoredItem(
        id=item_id,
        public_id=f"urn:uuid:00000000-0000-4000-8000-{item_id:012d}",
        title=title,
        url=f"https://www.exampleshire-scp.org.uk/events/{item_id}/",
        canonical_url=None,
        summary=f"{title}: a multi-agency session for practitioners.",
        content_html=None,
        published=published,
        updated=published,
        category="training",
        review_type=None,
        event_date=event,
        source_id="exampleshire-scp",
    )


ITEMS = [
    training(1, "Working Together 2023: an introduction", date(2027, 1, 11), 2),  # yesterday
    training(2, "Domestic abuse and coercive control", date(2027, 1, 14), 30),
    training(3, "Learning from SARs: self-neglect", date(2027, 2, 3), 1),
    training(4, "Professional curiosity briefings: dates to follow", None, 5),
    training(5, "Safer sleep: a 7-minute briefing session", date(2027, 1, 12), 60),  # today
]


def titles_in_block(items: list[StoredItem], today: date) -> list[str]:
    columns = block_columns(items, CONFIG.settings, DEFAULT_FEEDS, today=today)
    return [entry.title for entry in next(c for c in columns if c.id == "training").entries]


def test_the_block_lists_upcoming_events_soonest_first_then_undated_ones() -> None:
    assert titles_in_block(ITEMS, TODAY) == [
        "Safer sleep: a 7-minute briefing session",  # today: not over yet
        "Domestic abuse and coercive control",
        "Learning from SARs: self-neglect",
    ]
    fewer = [i for i in ITEMS if i.id not in (2, 3)]
    assert titles_in_block(fewer, TODAY) == [
        "Safer sleep: a 7-minute briefing session",
        "Professional curiosity briefings: dates to follow",
    ]


def test_an_event_that_is_over_leaves_the_block_by_itself_but_stays_in_the_feeds(
    tmp_path: Path,
) -> None:
    reader = FakeReader(ITEMS)
    publish(reader, CONFIG, tmp_path, now=NOW)
    block = json.loads((tmp_path / "latest.json").read_text())
    badges = [e["date"] for c in block["columns"] if c["id"] == "training" for e in c["entries"]]
    assert badges == ["2027-01-12", "2027-01-14", "2027-02-03"]  # the events' own dates
    assert publish(reader, CONFIG, tmp_path, now=NOW + timedelta(hours=12)) == []  # same day
    next_day = datetime(2027, 1, 13, 0, 30, tzinfo=UTC)  # after midnight in London
    changed = {p.name for p in publish(reader, CONFIG, tmp_path, now=next_day)}
    assert changed == {"latest.html", "latest.json"}  # no item changed: the day did
    assert b"Safer sleep" not in (tmp_path / "latest.html").read_bytes()
    assert b"Safer sleep" in (tmp_path / "training.atom").read_bytes()


def events_in(path: Path) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_each_training_feed_is_a_calendar_whose_uids_never_change(tmp_path: Path) -> None:
    reader = FakeReader(ITEMS)
    publish(reader, CONFIG, tmp_path, now=NOW)
    assert {p.name for p in tmp_path.glob("*.ics")} == {"all.ics", "training.ics"}
    before = events_in(tmp_path / "training.ics")
    assert len(before) == 4  # the dated ones, past included; the undated one has no date
    coercive = next(e for e in before.values() if "coercive" in str(e["SUMMARY"]))
    assert coercive.decoded("DTSTART") == date(2027, 1, 14)
    assert str(coercive["URL"]) == "https://www.exampleshire-scp.org.uk/events/2/"

    moved = replace(ITEMS[1], event_date=date(2027, 1, 21), updated=NOW)
    reader.stored = [moved if i.id == 2 else i for i in reader.stored]
    reader.version += 1
    assert "training.ics" in {p.name for p in publish(reader, CONFIG, tmp_path, now=NOW)}
    after = events_in(tmp_path / "training.ics")
    assert after.keys() == before.keys()  # the same event, moved: no duplicate
    moved_event = next(e for e in after.values() if "coercive" in str(e["SUMMARY"]))
    assert moved_event.decoded("DTSTART") == date(2027, 1, 21)
    assert moved_event.decoded("LAST-MODIFIED") == NOW


def test_calendars_are_served_as_text_calendar_with_etags_and_linked_from_the_index(
    tmp_path: Path,
) -> None:
    publish(FakeReader(ITEMS), CONFIG, tmp_path, now=NOW)
    server = make_server(create_app(tmp_path), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        first = get(server.port, "/training.ics")
        assert first.status == 200
        assert first.getheader("Content-Type") == "text/calendar; charset=utf-8"
        etag = first.getheader("ETag")
        assert etag and get(server.port, "/training.ics", {"If-None-Match": etag}).status == 304
        index = get(server.port, "/").body.decode()
        assert 'type="text/calendar"' in index and 'href="training.ics"' in index
    finally:
        server.close()
        thread.join(timeout=10)


class Got(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> Got:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return Got(response.status, response.headers, response.read())
    finally:
        conn.close()
