"""iCalendar sources: every fixture in tests/fixtures/ical parses to its .expected.json; bad
calendars are errors; recurrence is expanded over a bounded horizon."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from aggregator.config.types import SourceConfig
from aggregator.errors import ParseError
from aggregator.models import FetchResult, ParsedItem
from aggregator.parsers import ical, parser_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ical"
CALENDARS = sorted(p.stem for p in FIXTURES.glob("*.ics"))
NOW = datetime(2027, 1, 5, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ical, "utcnow", lambda: NOW)


def source(horizon_days: float = 180) -> SourceConfig:
    return SourceConfig("cal", "Calendar", "ical", "https://board.example/cal.ics",
                        horizon=horizon_days * 86400.0)  # fmt: skip


def fetched(body: bytes, url: str = "https://board.example/cal.ics") -> FetchResult:
    return FetchResult("cal", url, 200, body, content_type="text/calendar", charset="utf-8")


def as_expected(item: ParsedItem) -> dict[str, Any]:
    html = lxml.html.fragment_fromstring(item.summary_html or "", create_parent="div")
    return {
        "title": item.title,
        "link": item.link,
        "guid": item.guid,
        "published": item.published.isoformat() if item.published else None,
        "updated": item.updated.isoformat() if item.updated else None,
        "event_date": item.event_date.isoformat() if item.event_date else None,
        "categories": list(item.categories),
        "summary_text": " ".join(html.text_content().split()),
    }


@pytest.mark.parametrize("name", CALENDARS)
def test_fixture_parses_to_its_expected_json(name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8"))
    assert datetime.fromisoformat(expected["now"]) == NOW
    body = (FIXTURES / f"{name}.ics").read_bytes()
    parsed = parser_for("ical")(
        fetched(body, **expected["fetch"]), source(expected["horizon_days"])
    )
    assert [as_expected(item) for item in parsed.items] == expected["items"]
    assert parsed.title == expected["title"]
    assert list(parsed.warnings) == expected["warnings"]


def test_the_fixtures_cover_the_calendars_boards_publish() -> None:
    assert {"the_events_calendar", "outlook_published", "google_calendar"} <= set(CALENDARS)


def test_past_and_far_events_are_left_out_and_the_horizon_decides_how_far() -> None:
    body = (FIXTURES / "the_events_calendar.ics").read_bytes()
    titles = [i.title for i in ical.parse(fetched(body), source(180)).items]
    assert "Working Together 2023 – an introduction" not in titles  # ended in October
    assert "Annual Safeguarding Adults Week planning day" not in titles  # September: too far
    longer = [i.title for i in ical.parse(fetched(body), source(365)).items]
    assert longer == [*titles, "Annual Safeguarding Adults Week planning day"]
    shorter = [i.title for i in ical.parse(fetched(body), source(14)).items]
    assert shorter == ["Domestic Abuse and Coercive Control – Multi-agency Training"]


def event(rule: str, start: str = "20270106T090000Z", extra: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:e1@board.example\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:{start}\r\n"
        f"DURATION:PT30M\r\nSUMMARY:Drop-in\r\n{rule}{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_an_unbounded_rule_is_expanded_to_the_cap_only() -> None:
    parsed = ical.parse(fetched(event("RRULE:FREQ=DAILY;BYHOUR=9,13\r\n")), source(730))
    assert len(parsed.items) == ical.MAX_EVENTS
    starts = [item.guid for item in parsed.items]
    assert len(set(starts)) == ical.MAX_EVENTS
    assert starts[0] == "e1@board.example#20270106T090000Z"


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",
        "FREQ=MINUTELY;INTERVAL=15",
        "FREQ=HOURLY",
        "FREQ=DAILY;BYMINUTE=0,10,20,30,40",
    ],
)
def test_a_rule_repeating_many_times_a_day_since_long_ago_is_left_out(rule: str) -> None:
    body = event(f"RRULE:{rule}\r\n", start="20000101T000000Z")
    parsed = ical.parse(fetched(body), source(730))  # returns at once: nothing expanded
    assert parsed.items == ()
    assert parsed.warnings == ("event e1@board.example: repeats more than 4 times a day, left out",)


def test_a_weekly_series_stops_at_the_horizon() -> None:
    parsed = ical.parse(fetched(event("RRULE:FREQ=WEEKLY\r\n")), source(28))
    days = [item.event_date for item in parsed.items]
    assert days[0] == NOW.date() + timedelta(days=1)
    assert len(days) == 4 and all((b - a).days == 7 for a, b in pairwise(days))


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Events</body></html>",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:cut off\r\n",
        b"",
    ],
    ids=["html", "truncated", "empty"],
)
def test_an_invalid_calendar_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        ical.parse(fetched(body), source())


def test_an_event_icalendar_cannot_read_is_left_out_with_a_warning() -> None:
    body = event("", start="notadate")
    parsed = ical.parse(fetched(body), source())
    assert parsed.items == ()
    assert parsed.warnings == (
        "event e1@board.example: DTSTART: Wrong date format notadate, left out",
    )
